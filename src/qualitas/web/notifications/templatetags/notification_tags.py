from django import template

from qualitas.web.notifications.models import Follow

register = template.Library()


@register.inclusion_tag("notifications/_follow_button.html", takes_context=True)
def follow_button(context, measure):
    """Follow or stop following ``measure``, for the signed-in person."""
    request = context["request"]
    user = request.user
    return {
        "measure": measure,
        "following": Follow.objects.filter(user=user, measure=measure).exists(),
        "owner": measure.owner_user_id == user.pk,
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path(),
    }

from django.urls import path

from qualitas.web.projects.views import (
    cycles,
    diagram,
    learning,
    measures,
    people,
    portfolio,
    progress,
    project,
)

app_name = "projects"

urlpatterns = [
    path("", portfolio.portfolio, name="portfolio"),
    path("new/", project.create, name="create"),
    path("import/", project.import_project, name="import"),
    path("learning/", learning.learning_search, name="learning"),
    path("spread/", learning.spread_list, name="spread_list"),
    path("invitations/", people.invitations, name="invitations"),
    path(
        "invitations/<int:pk>/decide/",
        people.invitation_decide,
        name="invitation_decide",
    ),
    path("spread/<int:pk>/", learning.spread_update, name="spread_update"),
    path("spread/<int:pk>/take-up/", learning.spread_take_up, name="spread_take_up"),
    path("<int:pk>/", project.detail, name="detail"),
    path("<int:pk>/edit/", project.edit, name="edit"),
    path("<int:pk>/export.json", project.export_json, name="export"),
    path("<int:pk>/driver-diagram/", diagram.diagram_page, name="diagram"),
    path("<int:pk>/driver-diagram.svg", diagram.diagram_svg, name="diagram_svg"),
    path("<int:pk>/driver-diagram.png", diagram.diagram_png, name="diagram_png"),
    path("<int:pk>/drivers/add/", diagram.driver_add, name="driver_add"),
    path(
        "<int:pk>/drivers/<int:driver>/edit/", diagram.driver_edit, name="driver_edit"
    ),
    path(
        "<int:pk>/drivers/<int:driver>/remove/",
        diagram.driver_remove,
        name="driver_remove",
    ),
    path(
        "<int:pk>/drivers/<int:driver>/move/", diagram.driver_move, name="driver_move"
    ),
    path("<int:pk>/ideas/add/", diagram.idea_add, name="idea_add"),
    path("<int:pk>/ideas/<int:idea>/", diagram.idea, name="idea"),
    path("<int:pk>/ideas/<int:idea>/edit/", diagram.idea_edit, name="idea_edit"),
    path("<int:pk>/ideas/<int:idea>/remove/", diagram.idea_remove, name="idea_remove"),
    path("<int:pk>/ideas/<int:idea>/spread/", diagram.idea_spread, name="idea_spread"),
    path("<int:pk>/ideas/<int:idea>/cycles/new/", cycles.cycle_new, name="cycle_new"),
    path("<int:pk>/cycles/", cycles.cycles, name="cycles"),
    path("<int:pk>/cycles/<int:cycle>/", cycles.cycle, name="cycle"),
    path("<int:pk>/cycles/<int:cycle>/plan/", cycles.cycle_plan, name="cycle_plan"),
    path("<int:pk>/cycles/<int:cycle>/start/", cycles.cycle_start, name="cycle_start"),
    path("<int:pk>/cycles/<int:cycle>/do/", cycles.cycle_do, name="cycle_do"),
    path("<int:pk>/cycles/<int:cycle>/study/", cycles.cycle_study, name="cycle_study"),
    path("<int:pk>/cycles/<int:cycle>/act/", cycles.cycle_act, name="cycle_act"),
    path("<int:pk>/measures/", measures.measures, name="measures"),
    path("<int:pk>/measures/link/", measures.measure_link, name="measure_link"),
    path("<int:pk>/measures/new/", measures.measure_new, name="measure_new"),
    path(
        "<int:pk>/measures/<int:link>/chart/",
        measures.measure_chart_choice,
        name="measure_chart",
    ),
    path(
        "<int:pk>/measures/<int:link>/remove/",
        measures.measure_unlink,
        name="measure_unlink",
    ),
    path("<int:pk>/team/", people.team, name="team"),
    path("<int:pk>/team/add/", people.team_add, name="team_add"),
    path("<int:pk>/team/<int:member>/remove/", people.team_remove, name="team_remove"),
    path("<int:pk>/partners/new/", people.partner_form, name="partner_new"),
    path(
        "<int:pk>/partners/<int:partner>/edit/",
        people.partner_form,
        name="partner_edit",
    ),
    path("<int:pk>/involvement/", people.involvement, name="involvement"),
    path(
        "<int:pk>/involvement/<int:entry>/edit/",
        people.involvement_edit,
        name="involvement_edit",
    ),
    path("<int:pk>/progress/", progress.progress, name="progress"),
]

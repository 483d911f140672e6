"""`python -m qualitas.web load_published MEASURE [FILE] --by USER`: load a national
published dataset for a measure (every trust in England) in one command."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from qualitas.web.accounts.models import User
from qualitas.web.measures import published
from qualitas.web.measures.models import Measure


class Command(BaseCommand):
    help = (
        "Load published statistics for a measure (every organisation in the file, "
        "added if new) and mark its data as published, so anyone who can read the "
        "measure may compare with every organisation. Without FILE, loads the "
        "national dataset qualitas ships for the measure."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("measure", help="The measure's code, e.g. ae-4-hour.")
        parser.add_argument(
            "file",
            nargs="?",
            help="A CSV in the upload format (organisation, period, numerator, "
            "denominator or value; an optional organisation_name column names new "
            "organisations). Leave out to load the shipped national data.",
        )
        parser.add_argument(
            "--by",
            required=True,
            help="The username of the person loading (an analyst or administrator "
            "of the organisation that owns the measure); recorded in the audit log.",
        )

    def handle(self, *args, measure: str, file: str | None, by: str, **options):
        m = Measure.objects.select_related("organisation").filter(code=measure).first()
        if m is None:
            raise CommandError(f"There is no measure with the code {measure!r}.")
        user = User.objects.filter(username=by, is_active=True).first()
        if user is None:
            raise CommandError(f"There is no active account {by!r}.")
        names = published.shipped_names()
        record_sd = None
        if file is None:
            record_sd = published.shipped_sd(measure)
            try:
                name, frame = published.shipped(measure)
            except KeyError as e:
                raise CommandError(str(e.args[0])) from None
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"There is no file {file}.")
            name, frame = path.name, published.read_file(path)
            if "organisation_name" in frame:
                names.update(
                    zip(
                        frame["organisation"].str.upper(),
                        frame["organisation_name"],
                        strict=True,
                    )
                )
                frame = frame.drop(columns="organisation_name")
        try:
            batch = published.load_published(
                by=user,
                measure=m,
                frame=frame,
                filename=name,
                names=names,
                record_sd=record_sd,
            )
        except published.Refused as e:
            raise CommandError(f"Nothing was loaded: {e}") from None
        except PermissionDenied:
            raise CommandError(
                f"{by} may not publish data for {m.name}: it takes an analyst "
                f"or administrator of {m.organisation.name}."
            ) from None
        self.stdout.write(
            f"Loaded {batch.rows:,} rows of {m.name} from {name} "
            f"({batch.added:,} new, {batch.updated:,} replacing earlier values); "
            "its figures are now published for comparison."
        )

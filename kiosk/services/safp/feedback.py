"""意見及投訴 · Opiniões e queixas · Suggestions and complaints.

Works offline (policy ``queue``): the citizen gets a reference now.
"""

from __future__ import annotations

from kiosk.i18n import all_languages
from kiosk.services.common import printouts
from kiosk.services.common.flows import identify, service
from kiosk.services.contract import StepContext
from kiosk.services.steps import Field, Finish, Form, Print, Review, Submit

DEPARTMENTS = ("dsi", "ssm", "fss", "ias", "fp", "dsf", "safp", "dsaj", "ic", "dsat")
FIELDS = (
    Field("category", "feedback.category", kind="choice", example="suggestion",
          options=(("suggestion", "feedback.suggestion"), ("complaint", "feedback.complaint"),
                   ("praise", "feedback.praise"))),
    Field("department", "feedback.department", kind="choice", example="safp",
          options=tuple((d, f"department.{d}") for d in DEPARTMENTS)),
    Field("text", "feedback.text", kind="multiline", max_length=500,
          example="Please add more seats in the waiting area."),
)


def _entered(ctx: StepContext) -> dict[str, str]:
    return ctx.session.data["feedback"]


SERVICE = service("safp.feedback", "C", "queue", (
    *identify(face=False),
    Form(id="feedback", title="feedback.title", fields=FIELDS, result_key="feedback"),
    Review(rows=lambda ctx: [
        ("feedback.category", all_languages(f"feedback.{_entered(ctx)['category']}")),
        ("feedback.department", all_languages(f"department.{_entered(ctx)['department']}")),
        ("feedback.text", _entered(ctx)["text"])]),
    Submit(form=_entered),
    Print(id="print", optional=True, render=printouts.confirmation(
        "document.confirmation.feedback", lambda ctx: [])),
    Finish(message="feedback.done", reference=lambda ctx: printouts.submission(ctx).reference),
))

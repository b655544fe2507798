"""The sample views of every screen kind: what the gallery draws and the UI tests walk.

The department texts here (a form's labels, certificate names) are sample data
in the shape a department's service sends them, three languages each; the
kiosk's own texts come from the text catalogue as everywhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kiosk.i18n import LANGUAGE_NAMES, LANGUAGES
from kiosk.journey import View

SERVICE = "ssm.voucher-print"  # any enabled service: the chrome shows its title


def tri(zh: str, pt: str, en: str) -> dict[str, str]:
    return {"zh-Hant": zh, "pt": pt, "en": en}


FIELDS: list[dict[str, Any]] = [
    {"name": "name",
     "label": tri("英文姓名", "Nome em caracteres latinos", "Name in Latin letters"),
     "kind": "text", "value": "CHAN, TAI MAN", "required": True, "max_length": 60},
    {"name": "phone", "label": tri("流動電話號碼", "Número de telemóvel", "Mobile number"),
     "kind": "phone", "value": "", "required": True, "max_length": 16, "example": "66123456"},
    {"name": "email", "label": tri("電郵地址", "Endereço de correio eletrónico",
                                   "E-mail address"),
     "kind": "email", "value": "", "required": False, "max_length": 80,
     "example": "chan.taiman@example.mo",
     "error": tri("電郵地址格式不正確", "O endereço de correio eletrónico não é válido",
                  "This is not a valid e-mail address")},
    {"name": "address", "label": tri("通訊地址", "Morada para correspondência",
                                     "Postal address"),
     "kind": "multiline", "value": "", "required": True, "max_length": 120,
     "example": "Rua do Campo, n.º 12, 3.º andar A"},
    {"name": "contact", "label": tri("聯絡時段", "Horário de contacto", "When to call"),
     "kind": "choice", "value": "", "required": True, "max_length": 10,
     "options": [{"value": "am", "label": tri("上午", "Manhã", "Morning")},
                 {"value": "pm", "label": tri("下午", "Tarde", "Afternoon")},
                 {"value": "any", "label": tri("任何時間", "Qualquer hora", "Any time")}]},
]
FORM = {"title": tri("更新聯絡資料", "Atualizar os contactos", "Update your contact details"),
        "fields": FIELDS,
        "note": tri("資料只用於通知申請進度。", "Os dados servem só para o avisar do pedido.",
                    "Used only to tell you how your application is going.")}
OTP = {"phone_masked": "66****56", "length": 6, "attempts_left": 2,
       "error": tri("驗證碼不正確，請再試一次", "O código não está certo; tente de novo",
                    "That code is not right; please try again")}


def option(value: str, title: dict, lines: list, amount: str | None = None,
           disabled: bool = False) -> dict[str, Any]:
    shown: dict[str, Any] = {"value": value, "title": title, "lines": lines,
                             "disabled": disabled}
    if amount is not None:
        shown.update(amount=amount, currency="MOP")
    return shown


CERTS = [option("birth", tri("出生登記證明", "Certidão de nascimento", "Birth certificate"),
                [tri("中葡文本", "Versão chinesa e portuguesa", "Chinese and Portuguese"),
                 "2026-03-12"], "110.00"),
         option("marriage", tri("結婚登記證明", "Certidão de casamento", "Marriage certificate"),
                [tri("中葡文本", "Versão chinesa e portuguesa", "Chinese and Portuguese")],
                "110.00"),
         option("death", tri("死亡登記證明", "Certidão de óbito", "Death certificate"),
                [tri("未有登記", "Sem registo", "No record")], "110.00", disabled=True)]
VOUCHERS = [option(f"m{i}", tri(f"家團成員 {i}", f"Membro do agregado {i}",
                                f"Household member {i}"),
                   [tri(f"可轉讓 {6 - i} 張", f"Pode transferir {6 - i}",
                        f"{6 - i} vouchers can be transferred")],
                   disabled=i == 5) for i in range(1, 6)]
ROWS = [{"label": tri("申請項目", "Pedido", "Applying for"),
         "value": tri("出生登記證明", "Certidão de nascimento", "Birth certificate")},
        {"label": tri("姓名", "Nome", "Name"), "value": "CHAN, TAI MAN 陳大文"},
        {"label": tri("證件編號", "Número do BIR", "ID number"), "value": "5215299(8)"},
        {"label": tri("領取方式", "Levantamento", "Collection"),
         "value": tri("郵寄至通訊地址", "Por correio para a morada", "By post to your address")},
        {"label": tri("通訊地址", "Morada", "Address"),
         "value": "Rua do Campo, n.º 12, 3.º andar A, Macau"}]
TABLE = {"columns": [tri("日期", "Data", "Date"), tri("項目", "Movimento", "Item"),
                     tri("金額", "Montante", "Amount")],
         "rows": [[f"2026-0{m}-15", tri("醫療券使用", "Vale de saúde usado", "Voucher used"),
                   f"MOP {m * 100}.00"] for m in range(1, 7)]}


def step_views(lang: str) -> list[View]:
    """The screens services build from steps: form, code, choose, review, payment, result."""
    def v(screen: str, data: dict, step: str, n: int) -> View:
        return View(screen, lang, data, SERVICE, step, n, 8)

    return [
        v("form", FORM, "contact", 2),
        v("otp", OTP, "otp", 3),
        v("choose", {"title": tri("請選擇證明書", "Escolha a certidão", "Choose a certificate"),
                     "multi": False, "options": CERTS, "selected": []}, "choose", 4),
        v("choose", {"title": tri("轉讓給哪些家團成員", "Transferir para quem",
                                  "Transfer to whom"), "multi": True, "options": VOUCHERS,
                     "selected": ["m2"]}, "choose_many", 4),
        v("choose", {"title": tri("請選擇證明書", "Escolha a certidão", "Choose a certificate"),
                     "multi": True, "options": CERTS, "selected": ["birth"],
                     "total": "110.00", "currency": "MOP"}, "choose_paid", 4),
        v("review", {"title": "ui.review.title", "rows": ROWS, "total": "110.00",
                     "currency": "MOP", "note": tri("確認後即提交申請。",
                                                    "Ao confirmar, o pedido é enviado.",
                                                    "Confirming sends the application.")},
          "review", 5),
        v("payment", {"payment_id": "PAY-20260312-0001", "amount": "220.00", "currency": "MOP",
                      "items": [{"label": tri("出生登記證明", "Certidão de nascimento",
                                              "Birth certificate"), "amount": "110.00"},
                                {"label": tri("結婚登記證明", "Certidão de casamento",
                                              "Marriage certificate"), "amount": "110.00"}],
                      "qr_payload": "https://pay.sandbox.gov.mo/p/PAY-20260312-0001",
                      "status": "pending", "expires_in_s": 300}, "pay", 6),
        v("payment", {"payment_id": "PAY-2", "amount": "110.00", "currency": "MOP",
                      "items": [], "qr_payload": "x", "status": "expired",
                      "expires_in_s": 0}, "pay", 6),
        v("result", {"title": tri("醫療券結餘", "Saldo dos vales de saúde",
                                  "Health voucher balance"), "tone": "ok",
                     "rows": [*ROWS[1:3], {"label": tri("結餘", "Saldo", "Balance"),
                                           "value": "MOP 400.00"}],
                     "table": TABLE, "note": tri("結餘以今日為準。", "Saldo de hoje.",
                                                 "Balance as of today."),
                     "can_print": True}, "result", 8),
        v("result", {"title": tri("未能核實親屬關係", "Não foi possível confirmar o parentesco",
                                  "The relationship could not be confirmed"), "tone": "warning",
                     "rows": ROWS[:2], "can_print": False}, "result", 8),
        v("result", {"title": tri("申請已提交", "Pedido enviado", "Application sent"),
                     "tone": "info", "rows": ROWS, "can_print": False}, "result", 8),
    ]


def frame_views(lang: str, catalog: Sequence[Any]) -> list[View]:
    """The journey's own screens: attract to done, errors, kept printouts, reminders."""
    s = SERVICE
    return [
        View("attract", lang, {}),
        View("attract", lang, {"notice": "card.removed"}),
        View("language", lang, {"languages": LANGUAGES}),
        View("catalog", lang, {"catalog": catalog}),
        View("catalog", lang, {"catalog": catalog, "department": "safp"}),
        View("insert_card", lang, {"message": "card.insert"}, s, "read_card", 1, 6),
        View("progress", lang, {"message": "wait.printing"}, s, "print", 5, 6),
        View("face", lang, {"message": "face.look", "attempt": 1, "attempts": 3},
             s, "verify_face", 2, 6),
        View("quantity", lang, {"title": "ssm.vouchers.choose", "unit": "ssm.vouchers.unit",
                                "count": 3, "maximum": 6, "unit_value": 100, "currency": "MOP",
                                "total": 300, "valid_until": "2026-12-31"},
             s, "choose", 3, 6),
        View("done", lang, {"message": "ssm.vouchers.done"}, s, "finish", 6, 6),
        View("error", lang, {"message": "error.device.paper_out", "retry": True},
             s, "print", 5, 6, idle_seconds_left=17),
        View("error", lang, {"message": "error.device.paper_out", "retry": True, "later": True,
                             "reference": "7K3Q-9F2A"}, s, "print", 6, 7),
        View("done", lang, {"message": "ssm.vouchers.kept", "reference": "7K3Q-9F2A"},
             s, "print", 6, 7),
        View("kept", lang, {"references": ["7K3Q-9F2A"], "pages": 2}, s, "kept", 3, 7),
        View("reminder", lang, {"items": ("card",)}),
        View("reminder", lang, {"items": ("card", "printout")}),
    ]


def maintenance_views(lang: str) -> list[View]:
    """Maintenance mode: what citizens see meanwhile, then the technician's pages
    (sample devices, history, counters and settings)."""
    who = {"technician": "T001", "role": "technician"}
    devices = [{"name": "card_reader", "state": "online", "usable": True, "reason": ""},
               {"name": "camera", "state": "online", "usable": True, "reason": ""},
               {"name": "printer", "state": "userError", "usable": False,
                "reason": "userError"},
               {"name": "speaker", "state": "online", "usable": True, "reason": ""}]
    passed = {"device": "camera", "passed": True, "key": "diag.camera.frames",
              "values": {"frames": 10, "width": 640, "height": 480, "fps": 12.0},
              "seconds": 0.9}
    printer = {"device": "printer", "passed": False, "key": "diag.printer.not_usable",
               "values": {"reason": "paper_out"}, "seconds": 0.1}
    settings = [
        {"key": "terminal.languages", "kind": "choices", "value": ["zh-Hant", "pt", "en"],
         "options": [{"value": code, "label": LANGUAGE_NAMES[code]} for code in LANGUAGES],
         "changed": False, "live": True},
        {"key": "session.idle_timeout_s", "kind": "number", "value": 70.0, "options": [],
         "changed": True, "live": True},
        {"key": "backend.url", "kind": "text", "value": "https://gateway.gov.mo/kiosk",
         "options": [], "changed": False, "live": False},
        {"key": "devices.printer.driver", "kind": "choice", "value": "cups",
         "options": [{"value": d, "label": d} for d in ("simulator", "cups", "escpos")],
         "changed": False, "live": False}]
    return [
        View("out_of_service", lang, {}),
        View("maint_pin", lang, {"state": "wrong", "failures_left": 3}),
        View("maint_pin", lang, {"state": "locked", "minutes": 5}),
        View("maint_home", lang, {**who, "devices": devices, "tools": ["touch", "counters",
                                                                      "settings", "export"],
                                  "notice": {"key": "maint.export.done", "ok": True,
                                             "values": {"file": "kiosk-diagnostics-demo.tar.gz"}},
                                  "restart_pending": True}),
        View("maint_device", lang, {**who, "name": "camera", "kind": "camera",
                                    "driver": "opencv", "simulated": False,
                                    "status": {"device": "online", "detail": "", "camera": "ok"},
                                    "history": [{"at": "2026-12-04 09:12:40", "state": "online",
                                                 "reason": ""},
                                                {"at": "2026-12-04 09:12:31",
                                                 "state": "hardwareError",
                                                 "reason": "camera_lost"}],
                                    "running": False, "result": passed,
                                    "actions": ["test", "preview"]}),
        View("maint_camera", lang, {**who, "name": "camera"}),
        View("maint_touch", lang, {**who, "rows": 6, "cols": 10}),
        View("maint_counters", lang, {**who, "counters": {
            "sessions_completed": 1204, "sessions_cancelled": 97, "sessions_timeout": 41,
            "sessions_card_removed": 6, "sessions_failed": 3, "card_reads": 1351,
            "prints": 988, "pages": 1530, "print_failures": 2, "device_failures": 4},
            "consumables": [{"name": "paper", "used": 430, "capacity": 500, "remaining": 70,
                             "replaced_at": "2026-11-20T08:30:00Z"}], "notice": None}),
        View("maint_settings", lang, {**who, "settings": settings, "pending": True,
                                      "saved": None, "restart_pending": False,
                                      "error": {"key": "backend.url",
                                                "message": "must be an http(s) URL"}}),
        View("maint_edit", lang, {**who, "key": "backend.url",
                                  "value": "https://gateway.gov.mo/kiosk"}),
        View("maint_selftest", lang, {**who, "running": False, "passed": False,
                                      "results": [passed, printer]}),
    ]

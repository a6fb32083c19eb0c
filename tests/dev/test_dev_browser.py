"""`python -m bot dev` end to end in a real Chromium: the page, the bot behind /slack/events, the sandbox.

Set DEV_SCREENSHOTS=docs/screenshots to refresh the screenshots the README shows.
"""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.common.by import By

from bot.dev import IN_MEMORY
from tests.dev.conftest import DevProcess, start_dev
from tests.dev.page import Page

EDIT = "talkturo.assistant.edit"
ASSIGN = "talkturo.assistant.assign"


def create(page: Page, name: str, *, shot: str | None = None) -> None:
    """/talkturo create NAME, the outbound-setter template, submit; wait for the summary."""
    page.type(f"/talkturo create {name}")
    page.modal("talkturo.create")
    assert page.field("create.name").find_element(By.TAG_NAME, "input").get_attribute("value") == name
    page.choose("create.template", "outbound-setter")
    if shot:
        page.screenshot(shot)
    page.submit()
    page.modal_closed()
    page.message_with(f"created {name}")


def test_announces_the_in_memory_store_in_one_line(dev_server: DevProcess) -> None:
    lines = [line for line in dev_server.output().splitlines() if IN_MEMORY in line]
    assert len(lines) == 1, dev_server.output()
    assert f"open {dev_server.url} in a browser" in dev_server.output()


def test_slash_shows_every_command(page: Page) -> None:
    page.type("/", enter=False)
    menu = page.css("#slash-menu")
    page.until(lambda d: menu.is_displayed(), "the command menu")
    names = [item.get_attribute("data-sub") for item in menu.find_elements(By.CSS_SELECTOR, ".menu-item")]
    assert {"help", "create", "edit", "assign", "connect"} <= set(names)
    page.screenshot("slash-commands")


def test_create_posts_the_summary(page: Page) -> None:
    create(page, "Sales Agent", shot="create-modal")
    summary = page.message_with("created Sales Agent")
    text = summary.text
    assert "Sales Agent" in summary.find_element(By.CSS_SELECTOR, ".bk-header").text
    assert "Temperature" in text and "0.7" in text
    assert summary.find_element(By.CSS_SELECTOR, f"[data-action-id='{EDIT}']").is_displayed()
    assert "Only visible" not in text  # the summary is for the whole channel
    page.driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", summary)
    page.screenshot("channel-summary")


def test_edit_temperature_posts_the_change_notice(page: Page) -> None:
    create(page, "Notice Agent")
    page.press(page.message_with("created Notice Agent"), EDIT)
    page.modal("talkturo.edit")  # the "Loading…" view, then views.update with the form
    page.fill("edit.temperature", "0.3")
    page.submit()
    page.modal_closed()
    notice = page.message_with("changed Notice Agent")
    assert "Temperature: 0.7 → 0.3" in notice.text
    page.screenshot("change-notice")


def test_a_bad_value_shows_the_field_error(page: Page) -> None:
    create(page, "Careful Agent")
    page.type('/talkturo edit "Careful Agent"')
    page.modal("talkturo.edit")
    page.fill("edit.temperature", "5")
    page.submit()
    assert page.field_error("edit.temperature") == "Temperature must be at most 2."
    assert page.css("#modal-layer").is_displayed()  # errors keep the form open
    page.driver.execute_script(
        "document.querySelector(\"[data-block-id='edit.temperature']\").scrollIntoView({block: 'center'})"
    )
    page.screenshot("edit-field-error")
    page.cancel()
    page.modal_closed()


def test_assign_a_number(page: Page) -> None:
    create(page, "Phone Agent")
    page.press(page.message_with("created Phone Agent"), ASSIGN)
    page.modal("talkturo.assign")
    number = page.pick("assign.numbers", 0)
    assert number.startswith("+")
    page.screenshot("assign-modal")
    page.submit()
    page.modal_closed()
    notice = page.message_with("assigned numbers to Phone Agent")
    assert f"Numbers: none → {number}" in notice.text


def test_the_guest_is_refused(page: Page) -> None:
    page.act_as("guest")
    page.type("/talkturo create Guest Agent")
    refusal = page.message_with("Guests can't change assistants")
    assert "Only visible to you" in refusal.text
    assert page.css("#modal-layer").get_attribute("hidden") is not None  # no form opened
    page.screenshot("guest-refusal")


def test_a_confirmed_button_and_a_replaced_reply(page: Page) -> None:
    page.type("/talkturo disconnect")
    question = page.until(
        lambda d: d.execute_script(
            "return [...document.querySelectorAll('#messages .msg')]"
            ".filter((m) => m.querySelector(\"[data-action-id='talkturo.disconnect.confirm']\")).pop()"
        ),
        "the disconnect question",
    )
    page.press(question, "talkturo.disconnect.confirm")
    dialog = page.css("#confirm-layer")
    page.until(lambda d: dialog.is_displayed(), "the button's confirm dialog")
    assert page.css("#confirm-title").text == "Disconnect Talkturo?"
    page.css("#confirm-deny").click()  # "Keep it": nothing is sent
    assert not dialog.is_displayed()
    message_id = question.get_attribute("data-id")
    page.press(question, "talkturo.cancel")
    # replace_original through the response_url: the question becomes the answer, its buttons gone.
    answer = f"#messages [data-id='{message_id}']"
    page.until(lambda d: "Cancelled; nothing was changed." in page.css(answer).text, "the question replaced")
    assert not page.css(answer).find_elements(By.CSS_SELECTOR, "button")


def test_untrusted_text_is_shown_as_text(page: Page) -> None:
    page.type("/talkturo show <img src=x onerror=window.pwned=1>")
    reply = page.message_with("I don't know an assistant named")
    assert "<img src=x" in reply.text
    assert not page.driver.find_elements(By.CSS_SELECTOR, "#messages img")
    assert page.driver.execute_script("return window.pwned === undefined")


def test_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    dev = start_dev(tmp_path)
    assert dev.stop() == 0
    assert "Traceback" not in dev.output()
    assert "dev stopped." in dev.output()

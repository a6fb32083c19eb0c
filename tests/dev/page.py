"""The dev page as a person uses it, through Selenium: type, click, fill forms, read the channel."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

WAIT_SECONDS = 10

_MESSAGE_WITH = """
const wanted = arguments[0];
const found = [...document.querySelectorAll('#messages .msg')].filter((m) => m.textContent.includes(wanted));
return found.length ? found[found.length - 1] : null;
"""


class Page:
    def __init__(self, driver: WebDriver, url: str, shots: Path) -> None:
        self.driver = driver
        self.url = url
        self.shots = shots

    # --- waiting ----------------------------------------------------------------------------------

    def until(self, condition: Callable[[WebDriver], Any], what: str, seconds: float = WAIT_SECONDS) -> Any:
        try:
            return WebDriverWait(
                self.driver, seconds, ignored_exceptions=[StaleElementReferenceException]
            ).until(condition)
        except TimeoutException:
            raise AssertionError(
                f"timed out waiting for {what}; channel shows:\n{self.channel_text()}"
            ) from None

    def css(self, selector: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def channel_text(self) -> str:
        return str(self.driver.execute_script("return document.querySelector('#messages')?.innerText || ''"))

    # --- the channel ------------------------------------------------------------------------------

    def open(self) -> None:
        self.driver.get(self.url)
        self.driver.execute_script("localStorage.clear()")
        self.driver.get(self.url)
        self.until(lambda d: "live" in self.css("#connection").text, "the event stream")

    def type(self, text: str, *, enter: bool = True) -> None:
        box = self.css("#composer")
        box.click()
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(Keys.DELETE)
        box.send_keys(text)
        if enter:
            box.send_keys(Keys.ENTER)

    def message_with(self, text: str) -> WebElement:
        """The last message in the channel whose text holds `text` (waits for it)."""
        found: WebElement = self.until(
            lambda d: d.execute_script(_MESSAGE_WITH, text), f"a message with {text!r}"
        )
        return found

    def press(self, message: WebElement, action_id: str) -> None:
        message.find_element(By.CSS_SELECTOR, f"[data-action-id='{action_id}']").click()

    def act_as(self, role: str) -> None:
        selector = f"#users [data-role='{role}']"
        self.css(selector).click()  # the sidebar is drawn anew: look the chip up again
        self.until(
            lambda d: self.css(selector).get_attribute("aria-checked") == "true", f"acting as the {role}"
        )

    # --- modals -----------------------------------------------------------------------------------

    def modal(self, callback_id: str) -> WebElement:
        """The open modal once it shows the view with this callback_id (after any views.update)."""
        selector = f"#modal-layer:not([hidden]) #modal-body[data-callback-id='{callback_id}']"
        found: WebElement = self.until(
            lambda d: (
                d.find_elements(By.CSS_SELECTOR, selector)[0]
                if d.find_elements(By.CSS_SELECTOR, selector)
                else None
            ),
            f"the {callback_id} modal",
        )
        return found

    def field(self, block_id: str) -> WebElement:
        return self.css(f"#modal-body [data-block-id='{block_id}']")

    def fill(self, block_id: str, text: str) -> None:
        box = self.field(block_id).find_element(By.CSS_SELECTOR, "input, textarea")
        box.clear()
        box.send_keys(text)

    def choose(self, block_id: str, value: str) -> None:
        self.field(block_id).find_element(By.CSS_SELECTOR, f"input[value='{value}']").click()

    def pick(self, block_id: str, index: int = 0) -> str:
        """Choose an option of a select by position; its text. Multi-selects are drawn as a search box
        with a list of matches and chips, as in Slack; single static selects as a native <select>."""
        field = self.field(block_id)
        selects = field.find_elements(By.CSS_SELECTOR, "select")
        if selects:
            select = Select(selects[0])
            select.select_by_index(index)
            return str(select.options[index].text)
        field.find_element(By.CSS_SELECTOR, ".bk-search").click()
        options = self.until(
            lambda d: field.find_elements(By.CSS_SELECTOR, ".bk-option"), f"the options of {block_id}"
        )
        text = str(options[index].text)
        options[index].click()
        self.until(
            lambda d: (
                text in [c.text.rstrip("×").strip() for c in field.find_elements(By.CSS_SELECTOR, ".bk-chip")]
            ),
            f"{text} chosen in {block_id}",
        )
        return text

    def submit(self) -> None:
        self.css("#modal-submit").click()

    def cancel(self) -> None:
        self.css("#modal-cancel").click()

    def modal_closed(self) -> None:
        self.until(
            lambda d: self.css("#modal-layer").get_attribute("hidden") is not None, "the modal to close"
        )

    def field_error(self, block_id: str) -> str:
        error = self.field(block_id).find_element(By.CSS_SELECTOR, ".bk-error")
        self.until(lambda d: error.is_displayed() and error.text, f"an error under {block_id}")
        return str(error.text)

    # --- screenshots ------------------------------------------------------------------------------

    def screenshot(self, name: str) -> Path:
        """Saved where DEV_SCREENSHOTS points (docs/screenshots to refresh the README's), else a tmp dir."""
        path = self.shots / f"{name}.png"
        ActionChains(self.driver).move_to_element(self.css("#team")).perform()  # no hover highlight
        self.driver.execute_script("document.activeElement?.blur?.()")
        assert self.driver.save_screenshot(str(path)), path
        assert path.stat().st_size < 400_000, f"{path} is {path.stat().st_size} bytes"
        return path


def screenshot_dir(default: Path) -> Path:
    chosen = os.environ.get("DEV_SCREENSHOTS")
    path = Path(chosen) if chosen else default
    path.mkdir(parents=True, exist_ok=True)
    return path

// Modals as Slack shows them: a stack of views (open, push, update), submit and cancel, field errors
// from the app's ack, and what the person typed kept across updates of the same inputs.

import { controlKey, renderBlocks } from "./blocks.js";
import { plainText } from "./mrkdwn.js";

const REQUIRED = "Please complete this required field.";

export class Modals {
  constructor(api, base) {
    this.api = api; // { post(path, body) → Promise<answer> }
    this.base = base; // { directory, confirm }
    this.stack = []; // { view, controls, errors, saved }
    this.layer = document.getElementById("modal-layer");
    this.title = document.getElementById("modal-title");
    this.body = document.getElementById("modal-body");
    this.banner = document.getElementById("modal-banner");
    this.submitButton = document.getElementById("modal-submit");
    this.cancelButton = document.getElementById("modal-cancel");
    document.getElementById("modal-x").addEventListener("click", () => this.dismiss(true));
    this.cancelButton.addEventListener("click", () => this.dismiss(false));
    this.submitButton.addEventListener("click", () => this.submit());
    this.layer.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.dismiss(true);
    });
  }

  get isOpen() {
    return this.stack.length > 0;
  }

  top() {
    return this.stack[this.stack.length - 1];
  }

  find(viewId) {
    return this.stack.find((entry) => entry.view.id === viewId);
  }

  open(view) {
    this.stack = [{ view, saved: null }];
    this.draw();
  }

  push(view) {
    if (this.find(view.id)) {
      this.update(view);
      return;
    }
    if (this.top()) this.top().saved = this.values(this.top());
    this.stack.push({ view, saved: null });
    this.draw();
  }

  update(view) {
    const entry = this.find(view.id);
    if (!entry || (entry.view.hash && entry.view.hash === view.hash)) return;
    // Slack keeps what was entered in inputs whose block_id and action_id stay the same.
    if (entry === this.top()) entry.saved = this.values(entry);
    entry.view = view;
    if (entry === this.top()) this.draw();
  }

  pop() {
    this.stack.pop();
    this.draw();
  }

  clear() {
    this.stack = [];
    this.draw();
  }

  values(entry) {
    const values = {};
    for (const { blockId, actionId, control } of entry.controls?.values() || []) {
      values[blockId] = values[blockId] || {};
      values[blockId][actionId] = control.get();
    }
    return values;
  }

  ctx(entry) {
    return {
      ...this.base,
      controls: entry.controls,
      errors: entry.errors,
      act: (element, blockId, value) => this.act(entry, element, blockId, value),
      suggest: (element, blockId, query) =>
        this.api.post("/dev/suggest", {
          view_id: entry.view.id,
          action_id: element.action_id,
          block_id: blockId,
          value: query,
        }),
    };
  }

  async act(entry, element, blockId, value) {
    const answer = await this.api.post("/dev/action", {
      view_id: entry.view.id,
      action_id: element.action_id,
      block_id: blockId,
      value,
      values: this.values(entry),
    });
    if (!answer.ok) this.showBanner(answer.error);
  }

  draw() {
    const entry = this.top();
    if (!entry) {
      this.layer.hidden = true;
      this.body.replaceChildren();
      return;
    }
    const { view } = entry;
    entry.controls = new Map();
    entry.errors = new Map();
    this.title.textContent = plainText(view.title);
    this.cancelButton.textContent = plainText(view.close) || "Cancel";
    this.submitButton.textContent = plainText(view.submit);
    this.submitButton.hidden = !view.submit;
    this.submitButton.disabled = false;
    this.hideBanner();
    const drawn = renderBlocks(view.blocks, this.ctx(entry));
    this.body.replaceChildren(drawn);
    this.body.dataset.viewId = view.id;
    this.body.dataset.callbackId = view.callback_id || "";
    for (const [key, value] of Object.entries(entry.saved || {})) {
      for (const [actionId, kept] of Object.entries(value)) {
        const found = entry.controls.get(controlKey(key, actionId));
        if (found?.input) found.control.set(kept);
      }
    }
    entry.saved = null;
    this.layer.hidden = false;
    const first = [...entry.controls.values()].find((c) => c.input);
    (first ? first.control : this.submitButton.hidden ? this.cancelButton : this.submitButton).focus();
  }

  showBanner(text) {
    this.banner.textContent = text;
    this.banner.hidden = false;
  }

  hideBanner() {
    this.banner.hidden = true;
    this.banner.textContent = "";
  }

  showErrors(entry, errors) {
    const unplaced = [];
    for (const [blockId, message] of Object.entries(errors)) {
      const slot = entry.errors.get(blockId);
      if (!slot) {
        unplaced.push(`${blockId}: ${message}`);
        continue;
      }
      slot.textContent = message;
      slot.hidden = false;
      slot.parentElement.classList.add("has-error");
    }
    if (unplaced.length) {
      this.showBanner(`Slack shows errors only under input blocks; these name none: ${unplaced.join("; ")}`);
    }
  }

  clearErrors(entry) {
    for (const slot of entry.errors.values()) {
      slot.hidden = true;
      slot.textContent = "";
      slot.parentElement.classList.remove("has-error");
    }
    this.hideBanner();
  }

  async submit() {
    const entry = this.top();
    if (!entry || !entry.view.submit || this.submitButton.disabled) return;
    this.clearErrors(entry);
    const missing = {};
    for (const { blockId, input, optional, control } of entry.controls.values()) {
      if (input && !optional && control.isEmpty()) missing[blockId] = REQUIRED;
    }
    if (Object.keys(missing).length) {
      this.showErrors(entry, missing);
      return;
    }
    this.submitButton.disabled = true;
    let answer;
    try {
      answer = await this.api.post("/dev/submit", { view_id: entry.view.id, values: this.values(entry) });
    } finally {
      this.submitButton.disabled = false;
    }
    if (entry !== this.top()) return; // the modal changed meanwhile
    if (!answer.ok) {
      this.showBanner(answer.error || "We had some trouble connecting. Try again?");
      return;
    }
    if (answer.action === "errors") this.showErrors(entry, answer.errors || {});
    else if (answer.action === "update") this.update(answer.view);
    else if (answer.action === "push") this.push(answer.view);
    else if (answer.action === "clear") this.clear();
    else this.pop();
  }

  dismiss(all) {
    const closing = all ? [...this.stack].reverse() : this.stack.slice(-1);
    for (const entry of closing) {
      this.api.post("/dev/close", { view_id: entry.view.id, cleared: all });
    }
    if (all) this.clear();
    else this.pop();
  }
}

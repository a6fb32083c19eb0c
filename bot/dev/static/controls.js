// Block Kit input elements as form controls. Each control is { node, get(), set(value), focus() };
// get() returns what the dev server needs to build `view.state.values` the way Slack does:
// text → string, static choices → option value(s), external choices → option object(s).

import { el } from "./dom.js";
import { plainText, textObject } from "./mrkdwn.js";

let sequence = 0;
const nextId = (prefix) => `${prefix}-${++sequence}`;

// A control whose state is its node's `value` (selects, date and time inputs).
function valueControl(node) {
  return {
    node,
    id: node.id,
    get: () => node.value || null,
    set: (value) => { node.value = value ?? ""; },
    focus: () => node.focus(),
    isEmpty: () => !node.value,
  };
}

function placeholderOf(element, fallback) {
  return element.placeholder ? plainText(element.placeholder) : fallback;
}

function textControl(element) {
  const multiline = element.type === "plain_text_input" && element.multiline;
  const node = el(multiline ? "textarea" : "input", "bk-text-input");
  node.id = nextId("input");
  if (!multiline) {
    node.type = { email_text_input: "email", url_text_input: "url" }[element.type] || "text";
  } else {
    node.rows = 4;
  }
  if (element.type === "number_input") {
    // No range check here: the bot's own validation answers, so its field errors can be seen.
    node.inputMode = element.is_decimal_allowed ? "decimal" : "numeric";
  }
  if (element.max_length) node.maxLength = element.max_length;
  node.placeholder = placeholderOf(element, "");
  node.value = element.initial_value ?? "";
  return {
    node,
    id: node.id,
    get: () => node.value,
    set: (value) => { node.value = value ?? ""; },
    focus: () => node.focus(),
    isEmpty: () => node.value.trim() === "",
  };
}

function optionNodes(select, element) {
  const add = (parent, option) => {
    const item = el("option", "", plainText(option.text));
    item.value = option.value;
    parent.append(item);
  };
  for (const option of element.options || []) add(select, option);
  for (const group of element.option_groups || []) {
    const node = el("optgroup");
    node.label = plainText(group.label);
    for (const option of group.options || []) add(node, option);
    select.append(node);
  }
}

function staticSelect(element) {
  const node = el("select", "bk-select");
  node.id = nextId("select");
  const empty = el("option", "", placeholderOf(element, "Select an item"));
  empty.value = "";
  node.append(empty);
  optionNodes(node, element);
  node.value = element.initial_option?.value ?? "";
  return valueControl(node);
}

function localMatches(element, query) {
  const wanted = query.trim().toLowerCase();
  const matches = (options) => options.filter((o) => plainText(o.text).toLowerCase().includes(wanted));
  if (element.option_groups) {
    return { option_groups: element.option_groups.map((g) => ({ ...g, options: matches(g.options || []) })) };
  }
  return { options: matches(element.options || []) };
}

function choiceList(element, kind) {
  const node = el("div", `bk-choices ${kind}`);
  node.setAttribute("role", kind === "radio" ? "radiogroup" : "group");
  const name = nextId(kind);
  const initial = new Set(
    kind === "radio"
      ? [element.initial_option?.value].filter(Boolean)
      : (element.initial_options || []).map((o) => o.value),
  );
  const inputs = [];
  for (const option of element.options || []) {
    const row = el("label", "bk-choice");
    const input = el("input");
    input.type = kind;
    input.name = name;
    input.value = option.value;
    input.checked = initial.has(option.value);
    const words = el("span", "bk-choice-text");
    words.append(textObject(option.text));
    if (option.description) words.append(textObject(option.description, "bk-choice-desc"));
    row.append(input, words);
    node.append(row);
    inputs.push(input);
  }
  const chosen = () => inputs.filter((i) => i.checked).map((i) => i.value);
  return {
    node,
    get: () => (kind === "radio" ? chosen()[0] ?? null : chosen()),
    set: (value) => {
      const wanted = new Set(kind === "radio" ? [value] : value || []);
      for (const input of inputs) input.checked = wanted.has(input.value);
    },
    focus: () => inputs[0]?.focus(),
    isEmpty: () => chosen().length === 0,
    inputs,
  };
}

// A select drawn as Slack draws it: a search box, a list of matches, the choices as chips. `load(query)`
// answers { options, option_groups }: from the element itself (multi_static_select), or from the app
// through an options request (external selects).
function searchSelect(element, load, { multi, minimum }) {
  const node = el("div", "bk-external");
  const chips = el("div", "bk-chips");
  const search = el("input", "bk-text-input bk-search");
  search.id = nextId("search");
  search.type = "text";
  search.placeholder = placeholderOf(element, "Type to search");
  search.setAttribute("role", "combobox");
  const list = el("div", "bk-options");
  list.setAttribute("role", "listbox");
  list.hidden = true;
  node.append(chips, search, list);

  let chosen = multi ? [...(element.initial_options || [])] : element.initial_option ? [element.initial_option] : [];
  let timer = null;
  let asked = 0;

  const drawChips = () => {
    chips.replaceChildren();
    for (const option of chosen) {
      const chip = el("span", "bk-chip", plainText(option.text));
      const remove = el("button", "bk-chip-x", "×");
      remove.type = "button";
      remove.setAttribute("aria-label", `Remove ${plainText(option.text)}`);
      remove.addEventListener("click", () => {
        chosen = chosen.filter((o) => o.value !== option.value);
        drawChips();
      });
      chip.append(remove);
      chips.append(chip);
    }
  };
  const pick = (option) => {
    chosen = multi ? [...chosen.filter((o) => o.value !== option.value), option] : [option];
    search.value = "";
    list.hidden = true;
    drawChips();
  };
  const refresh = async () => {
    const query = search.value;
    if (query.length < minimum) {
      list.hidden = true;
      return;
    }
    const mine = ++asked;
    const answer = await load(query);
    if (mine !== asked) return; // a newer request is on its way
    list.replaceChildren();
    const groups = answer.option_groups?.length ? answer.option_groups : [{ options: answer.options || [] }];
    let count = 0;
    for (const group of groups) {
      if (group.label) list.append(el("div", "bk-option-group", plainText(group.label)));
      for (const option of group.options || []) {
        if (multi && chosen.some((o) => o.value === option.value)) continue;
        const item = el("button", "bk-option", plainText(option.text));
        item.type = "button";
        item.setAttribute("role", "option");
        item.addEventListener("mousedown", (event) => event.preventDefault());
        item.addEventListener("click", () => pick(option));
        list.append(item);
        count += 1;
      }
    }
    if (!count) list.append(el("div", "bk-option-none", "No results"));
    list.hidden = false;
  };
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  });
  search.addEventListener("focus", refresh);
  search.addEventListener("click", refresh);
  search.addEventListener("blur", () => setTimeout(() => { list.hidden = true; }, 150));
  drawChips();
  return {
    node,
    id: search.id,
    get: () => (multi ? chosen : chosen[0] ?? null),
    set: (value) => {
      chosen = multi ? [...(value || [])] : value ? [value] : [];
      drawChips();
    },
    focus: () => search.focus(),
    isEmpty: () => chosen.length === 0,
  };
}

function pickFrom(element, items, multi) {
  const node = el("select", "bk-select" + (multi ? " multi" : ""));
  node.id = nextId("select");
  node.multiple = multi;
  if (!multi) {
    const empty = el("option", "", placeholderOf(element, "Select"));
    empty.value = "";
    node.append(empty);
  }
  for (const item of items) {
    const option = el("option", "", item.label);
    option.value = item.id;
    node.append(option);
  }
  const get = () => (multi ? [...node.selectedOptions].map((o) => o.value) : node.value || null);
  const set = (value) => {
    const wanted = new Set(multi ? value || [] : [value]);
    for (const option of node.querySelectorAll("option")) option.selected = wanted.has(option.value);
  };
  return { node, id: node.id, get, set, focus: () => node.focus(), isEmpty: () => (multi ? !get().length : !get()) };
}

function dateTime(element, type, initial) {
  const node = el("input", "bk-text-input");
  node.id = nextId(type);
  node.type = type;
  node.value = initial ?? "";
  return valueControl(node);
}

// The control for a stateful element, or null when the element keeps no state (buttons, images).
export function makeControl(element, ctx, blockId) {
  const people = () => ctx.directory.users.map((u) => ({ id: u.id, label: `${u.real_name} (@${u.name})` }));
  const rooms = () => ctx.directory.channels.map((c) => ({ id: c.id, label: `#${c.name}` }));
  switch (element.type) {
    case "plain_text_input":
    case "number_input":
    case "email_text_input":
    case "url_text_input":
    case "rich_text_input":
      return textControl(element);
    case "static_select":
      return staticSelect(element);
    case "multi_static_select":
      return searchSelect(element, async (query) => localMatches(element, query), { multi: true, minimum: 0 });
    case "checkboxes":
      return choiceList(element, "checkbox");
    case "radio_buttons":
      return choiceList(element, "radio");
    case "external_select":
    case "multi_external_select":
      return searchSelect(element, (query) => ctx.suggest(element, blockId, query), {
        multi: element.type === "multi_external_select",
        minimum: element.min_query_length ?? 3,
      });
    case "users_select":
      return pickFrom(element, people(), false);
    case "multi_users_select":
      return pickFrom(element, people(), true);
    case "conversations_select":
    case "channels_select":
      return pickFrom(element, rooms(), false);
    case "multi_conversations_select":
    case "multi_channels_select":
      return pickFrom(element, rooms(), true);
    case "datepicker":
      return dateTime(element, "date", element.initial_date);
    case "timepicker":
      return dateTime(element, "time", element.initial_time);
    default:
      return null;
  }
}

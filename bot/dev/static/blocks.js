// Block Kit → DOM, for messages and modals alike.
//
// ctx = {
//   directory,                          people and channels (for user and channel selects)
//   act(element, blockId, value),       a click or a pick: the page sends a block action
//   suggest(element, blockId, query),   an options request for an external select
//   confirm(dialog),                    resolves true when the person confirms a button's `confirm`
//   controls: Map | null,               filled with the stateful elements (modals)
//   errors: Map | null,                 block_id → the slot where a field error goes (modals)
// }

import { el } from "./dom.js";
import { makeControl } from "./controls.js";
import { plainText, textObject } from "./mrkdwn.js";

export function controlKey(blockId, actionId) {
  return `${blockId}\u0000${actionId}`;
}

function register(ctx, blockId, element, control, extra = {}) {
  if (!ctx.controls || !control) return;
  ctx.controls.set(controlKey(blockId, element.action_id), {
    blockId,
    actionId: element.action_id,
    type: element.type,
    control,
    ...extra,
  });
}

function button(element, blockId, ctx) {
  const node = el("button", `bk-button ${element.style || ""}`.trim(), plainText(element.text));
  node.type = "button";
  node.dataset.actionId = element.action_id || "";
  if (element.value !== undefined) node.dataset.value = element.value;
  node.addEventListener("click", async () => {
    if (element.confirm && !(await ctx.confirm(element.confirm))) return;
    node.disabled = true;
    try {
      await ctx.act(element, blockId, null);
    } finally {
      node.disabled = false;
    }
  });
  return node;
}

function overflow(element, blockId, ctx) {
  const wrap = el("span", "bk-overflow");
  const toggle = el("button", "bk-button bk-overflow-toggle", "⋯");
  toggle.type = "button";
  toggle.setAttribute("aria-label", "More actions");
  const menu = el("div", "bk-overflow-menu");
  menu.hidden = true;
  for (const option of element.options || []) {
    const item = el("button", "bk-option", plainText(option.text));
    item.type = "button";
    item.addEventListener("click", async () => {
      menu.hidden = true;
      if (element.confirm && !(await ctx.confirm(element.confirm))) return;
      await ctx.act(element, blockId, option.value);
    });
    menu.append(item);
  }
  toggle.addEventListener("click", () => { menu.hidden = !menu.hidden; });
  wrap.append(toggle, menu);
  return wrap;
}

// An interactive element outside an input block: a change is sent as a block action at once.
function element(elementJson, blockId, ctx) {
  if (elementJson.type === "button") return button(elementJson, blockId, ctx);
  if (elementJson.type === "overflow") return overflow(elementJson, blockId, ctx);
  if (elementJson.type === "image") return el("span", "bk-image", `[image: ${elementJson.alt_text || ""}]`);
  const control = makeControl(elementJson, ctx, blockId);
  if (!control) return el("span", "bk-unknown", `[${elementJson.type}]`);
  register(ctx, blockId, elementJson, control);
  control.node.addEventListener("change", () => ctx.act(elementJson, blockId, control.get()));
  control.node.classList.add("bk-inline-control");
  return control.node;
}

function section(block, ctx) {
  const node = el("div", "bk-section");
  const body = el("div", "bk-section-body");
  if (block.text) body.append(textObject(block.text, "bk-text"));
  if (block.fields?.length) {
    const grid = el("div", "bk-fields");
    for (const field of block.fields) grid.append(textObject(field, "bk-field"));
    body.append(grid);
  }
  node.append(body);
  if (block.accessory) {
    const side = el("div", "bk-accessory");
    side.append(element(block.accessory, block.block_id, ctx));
    node.append(side);
  }
  return node;
}

function context(block) {
  const node = el("div", "bk-context");
  for (const item of block.elements || []) {
    if (item.type === "image") node.append(el("span", "bk-image", `[image: ${item.alt_text || ""}]`));
    else node.append(textObject(item, "bk-context-item"));
  }
  return node;
}

function actions(block, ctx) {
  const node = el("div", "bk-actions");
  for (const item of block.elements || []) node.append(element(item, block.block_id, ctx));
  return node;
}

function input(block, ctx) {
  const node = el("div", "bk-input");
  const label = el("label", "bk-label", plainText(block.label));
  if (block.optional) label.append(el("span", "bk-optional", " (optional)"));
  node.append(label);
  const control = makeControl(block.element || {}, ctx, block.block_id);
  if (!control) {
    node.append(el("div", "bk-unknown", `[${block.element?.type} input: not drawn by the dev page]`));
    return node;
  }
  if (control.id) label.htmlFor = control.id;
  node.append(control.node);
  if (block.hint) node.append(el("div", "bk-hint", plainText(block.hint)));
  const error = el("div", "bk-error");
  error.setAttribute("role", "alert");
  error.hidden = true;
  node.append(error);
  ctx.errors?.set(block.block_id, error);
  register(ctx, block.block_id, block.element, control, {
    input: true,
    optional: Boolean(block.optional),
    label: plainText(block.label),
  });
  if (block.dispatch_action) {
    control.node.addEventListener("change", () => ctx.act(block.element, block.block_id, control.get()));
  }
  return node;
}

function richText(block) {
  const node = el("div", "bk-rich-text");
  const inline = (parent, items) => {
    for (const item of items || []) {
      let piece;
      if (item.type === "link") {
        piece = el("a", "link", item.text || item.url);
        if (/^(https?:|mailto:)/i.test(item.url || "")) piece.href = item.url;
        piece.target = "_blank";
        piece.rel = "noopener noreferrer";
      } else if (item.type === "user") piece = el("span", "mention", `@${item.user_id}`);
      else if (item.type === "channel") piece = el("span", "mention channel", `#${item.channel_id}`);
      else if (item.type === "emoji") piece = el("span", "", item.unicode ? String.fromCodePoint(parseInt(item.unicode, 16)) : `:${item.name}:`);
      else piece = document.createTextNode(item.text || "");
      const style = item.style || {};
      for (const [flag, tag] of [["code", "code"], ["strike", "s"], ["italic", "i"], ["bold", "b"]]) {
        if (style[flag]) {
          const wrap = el(tag);
          wrap.append(piece);
          piece = wrap;
        }
      }
      parent.append(piece);
    }
  };
  for (const part of block.elements || []) {
    if (part.type === "rich_text_list") {
      const list = el(part.style === "ordered" ? "ol" : "ul");
      for (const item of part.elements || []) {
        const li = el("li");
        inline(li, item.elements);
        list.append(li);
      }
      node.append(list);
    } else {
      const tag = { rich_text_quote: "blockquote", rich_text_preformatted: "pre" }[part.type] || "div";
      const piece = el(tag, part.type === "rich_text_preformatted" ? "code-block" : "");
      inline(piece, part.elements);
      node.append(piece);
    }
  }
  return node;
}

function block(json, ctx) {
  switch (json.type) {
    case "header":
      return el("div", "bk-header", plainText(json.text));
    case "divider":
      return el("hr", "bk-divider");
    case "section":
      return section(json, ctx);
    case "context":
      return context(json);
    case "actions":
      return actions(json, ctx);
    case "input":
      return input(json, ctx);
    case "image":
      return el("div", "bk-image", `[image: ${json.alt_text || ""}]`);
    case "rich_text":
      return richText(json);
    default:
      return el("div", "bk-unknown", `[${json.type} block: not drawn by the dev page]`);
  }
}

export function renderBlocks(blocks, ctx) {
  const root = el("div", "blocks");
  for (const json of blocks || []) {
    if (!json || typeof json !== "object") continue;
    const node = block(json, ctx);
    if (json.block_id) node.dataset.blockId = json.block_id;
    node.dataset.blockType = json.type;
    root.append(node);
  }
  return root;
}

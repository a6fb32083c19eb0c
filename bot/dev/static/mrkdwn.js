// Slack's mrkdwn and plain_text objects turned into DOM nodes. Everything untrusted becomes text nodes
// (textContent); nothing here builds HTML from strings.

import { el } from "./dom.js";

const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">" };

const EMOJI = {
  warning: "⚠️", no_entry: "⛔", no_entry_sign: "🚫", white_check_mark: "✅", heavy_check_mark: "✔️",
  x: "❌", hourglass_flowing_sand: "⏳", hourglass: "⌛", telephone_receiver: "📞", phone: "☎️",
  robot_face: "🤖", information_source: "ℹ️", bulb: "💡", pencil2: "✏️", lock: "🔒", key: "🔑",
  link: "🔗", wave: "👋", tada: "🎉", eyes: "👀", mag: "🔍", gear: "⚙️", bell: "🔔",
  speech_balloon: "💬", sparkles: "✨", rotating_light: "🚨", arrows_counterclockwise: "🔄",
  calling: "📲", loud_sound: "🔊", microphone: "🎤", memo: "📝", clipboard: "📋", electric_plug: "🔌",
  heavy_plus_sign: "➕", heavy_minus_sign: "➖", arrow_right: "➡️", point_right: "👉", thinking_face: "🤔",
};

// Who mentions point at: filled in by app.js from /dev/info.
const directory = { users: new Map(), channels: new Map() };

export function setDirectory(users, channels) {
  directory.users = new Map(users.map((u) => [u.id, u.name]));
  directory.channels = new Map(channels.map((c) => [c.id, c.name]));
}

export function decode(text) {
  return text.replace(/&(amp|lt|gt);/g, (m) => ENTITIES[m]);
}

export function emojify(text) {
  return text.replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] || m);
}


// `code`, <token>, *bold*, _italic_, ~strike~; the markers must sit at word edges, as in Slack.
const INLINE = new RegExp(
  [
    "`([^`\\n]+)`",
    "<([^<>\\n]+)>",
    "(?<![\\p{L}\\p{N}*])\\*(?![\\s*])([^*\\n]*?[^\\s*])\\*(?![\\p{L}\\p{N}*])",
    "(?<![\\p{L}\\p{N}_])_(?![\\s_])([^_\\n]*?[^\\s_])_(?![\\p{L}\\p{N}_])",
    "(?<![\\p{L}\\p{N}~])~(?![\\s~])([^~\\n]*?[^\\s~])~(?![\\p{L}\\p{N}~])",
  ].join("|"),
  "gu",
);

function text(node, raw) {
  if (raw) node.append(document.createTextNode(emojify(decode(raw))));
}

function token(raw) {
  const [target, label] = splitOnce(raw, "|");
  if (target.startsWith("@")) {
    const id = target.slice(1);
    return el("span", "mention", "@" + (directory.users.get(id) || (label ? decode(label) : id)));
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    return el("span", "mention channel", "#" + (directory.channels.get(id) || (label ? decode(label) : id)));
  }
  if (target.startsWith("!")) {
    const special = target.slice(1);
    if (special.startsWith("subteam^")) return el("span", "mention", decode(label || "@group"));
    if (special.startsWith("date^")) return el("span", "", decode(label || special.split("^").pop()));
    return el("span", "mention", "@" + decode(special));
  }
  const href = decode(target);
  if (/^(https?:\/\/|mailto:)/i.test(href)) {
    const a = el("a", "link", decode(label || target));
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }
  return document.createTextNode(decode("<" + raw + ">"));
}

function splitOnce(value, sep) {
  const at = value.indexOf(sep);
  return at < 0 ? [value, ""] : [value.slice(0, at), value.slice(at + 1)];
}

function inline(node, raw) {
  let last = 0;
  for (const match of raw.matchAll(INLINE)) {
    text(node, raw.slice(last, match.index));
    const [, code, tok, bold, italic, strike] = match;
    if (code !== undefined) node.append(el("code", "", decode(code)));
    else if (tok !== undefined) node.append(token(tok));
    else {
      const tag = bold !== undefined ? "b" : italic !== undefined ? "i" : "s";
      const inner = el(tag);
      inline(inner, bold ?? italic ?? strike);
      node.append(inner);
    }
    last = match.index + match[0].length;
  }
  text(node, raw.slice(last));
}

function lines(node, raw) {
  const rows = raw.split("\n");
  let quote = null;
  let first = true;
  for (const row of rows) {
    // A quote is a literal ">" at the start of a line; an escaped "&gt;" is only a character.
    if (row.startsWith(">")) {
      if (!quote) {
        quote = el("blockquote");
        node.append(quote);
      } else {
        quote.append(el("br"));
      }
      inline(quote, row.replace(/^> ?/, ""));
      continue;
    }
    if (quote) {
      quote = null;
      first = true;
    }
    if (!first) node.append(el("br"));
    inline(node, row);
    first = false;
  }
}

// mrkdwn text → a <div class="mrkdwn"> of safe nodes.
export function mrkdwn(raw) {
  const root = el("div", "mrkdwn");
  const parts = String(raw ?? "").split("```");
  if (parts.length % 2 === 0) {
    // An unclosed ``` is plain text.
    const tail = parts.pop();
    parts[parts.length - 1] += "```" + tail;
  }
  parts.forEach((part, index) => {
    if (index % 2 === 1) {
      root.append(el("pre", "code-block", decode(part.replace(/^\n/, "").replace(/\n$/, ""))));
    } else {
      const cleaned = index > 0 ? part.replace(/^\n/, "") : part;
      if (cleaned) lines(root, index < parts.length - 1 ? cleaned.replace(/\n$/, "") : cleaned);
    }
  });
  return root;
}

// A text object: mrkdwn, or plain_text shown as written (emoji codes turned into emoji when asked).
export function textObject(obj, className) {
  if (!obj) return el("span", className || "");
  if (obj.type === "mrkdwn") {
    const node = mrkdwn(obj.text);
    if (className) node.classList.add(className);
    return node;
  }
  const plain = obj.emoji === false ? String(obj.text ?? "") : emojify(String(obj.text ?? ""));
  return el("span", "plain " + (className || ""), plain);
}

export function plainText(obj) {
  if (!obj) return "";
  return obj.emoji === false ? String(obj.text ?? "") : emojify(String(obj.text ?? ""));
}

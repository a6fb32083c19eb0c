// The page: a small Slack channel. Messages arrive as Server-Sent Events from /dev/events; what the
// person does goes to /dev/* as JSON, and the dev server sends it to the bot as Slack would.

import { el } from "./dom.js";
import { renderBlocks } from "./blocks.js";
import { Modals } from "./modal.js";
import { mrkdwn, setDirectory, textObject, plainText } from "./mrkdwn.js";

const USER_KEY = "talkturo-dev-user";
const COLORS = ["#e8912d", "#2bac76", "#1264a3", "#9f4ccf", "#e01e5a", "#4a154b"];

const state = {
  info: null,
  user: null,
  place: null, // a channel id, or "dm" for the person's DM with the app
  messages: new Map(),
  unread: new Map(),
  menuIndex: 0,
};
let modals = null;

const $ = (id) => document.getElementById(id);

async function post(path, body) {
  try {
    const response = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...body, user: state.user }),
    });
    return await response.json();
  } catch {
    return { ok: false, error: "The dev server did not answer. Is `python -m bot dev` still running?" };
  }
}

// --- people and places -----------------------------------------------------------------------------

function person(id) {
  if (id === state.info.bot.id) return { name: state.info.bot.name, real_name: state.info.bot.name, bot: true };
  return state.info.users.find((u) => u.id === id) || { name: id, real_name: id };
}

function dmChannel(userId) {
  return "D" + userId.slice(1);
}

function placeChannel() {
  return state.place === "dm" ? dmChannel(state.user) : state.place;
}

function placeOf(message) {
  return message.channel.startsWith("D") ? `dm:${"U" + message.channel.slice(1)}` : message.channel;
}

function shownHere(message) {
  const here = state.place === "dm" ? `dm:${state.user}` : state.place;
  return placeOf(message) === here;
}

function avatar(id) {
  const who = person(id);
  const node = el("div", "avatar", (who.bot ? "T" : who.name[0] || "?").toUpperCase());
  const hash = [...id].reduce((sum, ch) => sum + ch.charCodeAt(0), 0);
  node.style.background = who.bot ? "#0b7a75" : COLORS[hash % COLORS.length];
  return node;
}

// --- confirm dialogs of buttons --------------------------------------------------------------------

function confirmDialog(dialog) {
  const layer = $("confirm-layer");
  $("confirm-title").textContent = plainText(dialog.title) || "Are you sure?";
  $("confirm-text").replaceChildren(textObject(dialog.text));
  const ok = $("confirm-ok");
  const deny = $("confirm-deny");
  ok.textContent = plainText(dialog.confirm) || "Yes";
  ok.className = `bk-button ${dialog.style === "danger" ? "danger" : "primary"}`;
  deny.textContent = plainText(dialog.deny) || "Cancel";
  layer.hidden = false;
  ok.focus();
  return new Promise((resolve) => {
    const done = (answer) => {
      layer.hidden = true;
      ok.onclick = deny.onclick = null;
      resolve(answer);
    };
    ok.onclick = () => done(true);
    deny.onclick = () => done(false);
  });
}

// --- messages --------------------------------------------------------------------------------------

function messageCtx(message) {
  return {
    directory: state.info,
    confirm: confirmDialog,
    controls: null,
    errors: null,
    act: async (element, blockId, value) => {
      const answer = await post("/dev/action", {
        message_id: message.id,
        action_id: element.action_id,
        block_id: blockId,
        value,
      });
      if (!answer.ok) hint(answer.error);
    },
    suggest: async () => ({ options: [] }),
  };
}

function drawMessage(message) {
  const mine = message.visible_to === state.user;
  const classes = ["msg", `kind-${message.kind}`];
  if (message.visible_to) classes.push("ephemeral", mine ? "mine" : "others");
  const node = el("article", classes.join(" "));
  node.dataset.id = message.id;
  node.dataset.kind = message.kind;
  if (message.kind === "system") {
    node.append(el("div", "system-icon", "⚙"));
    const main = el("div", "msg-main");
    main.append(el("div", "msg-head", "dev server"));
    main.append(el("pre", "system-text", message.text));
    node.append(main);
    return node;
  }
  node.append(avatar(message.author));
  const main = el("div", "msg-main");
  const head = el("div", "msg-head");
  const who = person(message.author);
  head.append(el("span", "author", who.bot ? who.name : who.real_name));
  if (who.bot) head.append(el("span", "app-badge", "APP"));
  const time = new Date(message.at * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  head.append(el("time", "time", time));
  main.append(head);
  if (message.visible_to) {
    const to = mine ? "you" : `@${person(message.visible_to).name}`;
    main.append(el("div", "ephemeral-note", `Only visible to ${to}`));
  }
  if (message.kind === "command") {
    main.append(el("code", "typed-command", message.text));
  } else if (message.blocks?.length) {
    main.append(renderBlocks(message.blocks, messageCtx(message)));
  } else {
    main.append(mrkdwn(message.text));
  }
  node.append(main);
  return node;
}

function nearBottom(list) {
  return list.scrollHeight - list.scrollTop - list.clientHeight < 120;
}

function drawMessages() {
  const list = $("messages");
  const shown = [...state.messages.values()].filter(shownHere);
  list.replaceChildren(...shown.map(drawMessage));
  if (!shown.length) {
    const empty = el("div", "empty");
    empty.append(mrkdwn("Nothing here yet. Type `/talkturo help`, or `/` to see every command."));
    list.append(empty);
  }
  list.scrollTop = list.scrollHeight;
}

function onMessage(message, { update = false } = {}) {
  state.messages.set(message.id, message);
  if (!shownHere(message)) {
    if (!update) {
      const place = message.channel.startsWith("D") ? "dm" : message.channel;
      if (!message.channel.startsWith("D") || message.visible_to === state.user) {
        state.unread.set(place, (state.unread.get(place) || 0) + 1);
        drawSidebar();
      }
    }
    return;
  }
  const list = $("messages");
  const stick = nearBottom(list) || message.visible_to === state.user;
  const old = list.querySelector(`[data-id="${CSS.escape(message.id)}"]`);
  const node = drawMessage(message);
  if (old) old.replaceWith(node);
  else {
    list.querySelector(".empty")?.remove();
    list.append(node);
  }
  if (stick && !update) list.scrollTop = list.scrollHeight;
}

function onEvent(event) {
  if (event.type === "snapshot") {
    state.messages = new Map(event.messages.map((m) => [m.id, m]));
    drawMessages();
  } else if (event.type === "message") {
    onMessage(event.message);
  } else if (event.type === "update") {
    onMessage(event.message, { update: true });
  } else if (event.type === "delete") {
    state.messages.delete(event.id);
    $("messages").querySelector(`[data-id="${CSS.escape(event.id)}"]`)?.remove();
  } else if (event.type === "view" && event.user === state.user) {
    if (event.op === "open") modals.open(event.view);
    else if (event.op === "push") modals.push(event.view);
    else modals.update(event.view);
  }
}

function listen() {
  const status = $("connection");
  const source = new EventSource("/dev/events");
  source.onopen = () => {
    status.textContent = "live";
    status.className = "conn live";
  };
  source.onerror = () => {
    status.textContent = "reconnecting…";
    status.className = "conn down";
  };
  source.onmessage = (event) => onEvent(JSON.parse(event.data));
}

// --- sidebar: places and the person acting ----------------------------------------------------------

function sideItem(label, place) {
  const item = el("li");
  const link = el("button", "side-item" + (state.place === place ? " active" : ""), label);
  link.type = "button";
  link.dataset.place = place;
  const unread = state.unread.get(place);
  if (unread) link.append(el("span", "badge", unread));
  link.addEventListener("click", () => go(place));
  item.append(link);
  return item;
}

function drawSidebar() {
  $("team").textContent = state.info.team;
  $("channels").replaceChildren(...state.info.channels.map((c) => sideItem(`# ${c.name}`, c.id)));
  $("apps").replaceChildren(sideItem(`● ${state.info.bot.name}`, "dm"));
  const users = $("users");
  users.replaceChildren(
    ...state.info.users.map((u) => {
      const chip = el("button", "user-chip" + (u.id === state.user ? " active" : ""));
      chip.type = "button";
      chip.dataset.userId = u.id;
      chip.dataset.role = u.role;
      chip.setAttribute("role", "radio");
      chip.setAttribute("aria-checked", String(u.id === state.user));
      chip.append(avatar(u.id), el("span", "user-name", u.real_name), el("span", `role role-${u.role}`, u.role));
      chip.addEventListener("click", () => actAs(u.id));
      return chip;
    }),
  );
}

function drawHeader() {
  const channel = state.info.channels.find((c) => c.id === state.place);
  $("channel-title").textContent = channel ? `# ${channel.name}` : state.info.bot.name;
  $("channel-topic").textContent = channel
    ? "Talkturo for Slack on this machine: type /talkturo here."
    : `Your direct messages with ${state.info.bot.name}.`;
  const where = channel ? `#${channel.name}` : state.info.bot.name;
  $("composer").placeholder = `Message ${where}: try ${state.info.command} help (as ${person(state.user).name})`;
}

function go(place) {
  state.place = place;
  state.unread.delete(place);
  drawSidebar();
  drawHeader();
  drawMessages();
  $("composer").focus();
}

function actAs(userId) {
  state.user = userId;
  localStorage.setItem(USER_KEY, userId);
  state.unread.delete("dm");
  drawSidebar();
  drawHeader();
  drawMessages();
}

// --- the message box and its command menu -------------------------------------------------------------

function hint(text) {
  const box = $("composer-hint");
  box.textContent = text || "";
  box.classList.toggle("shown", Boolean(text));
}

function menuItems() {
  const value = $("composer").value;
  if (!value.startsWith("/") || value.includes("\n")) return [];
  const command = state.info.command;
  const [typed, sub = "", ...rest] = value.split(/\s+/);
  if (!command.startsWith(typed)) return [];
  const started = value.length > typed.length; // something after the command
  if (!started) return state.info.help;
  if (typed !== command) return [];
  const moreTyped = rest.length > 0 || /\s$/.test(value.slice(typed.length + 1));
  const matching = state.info.help.filter((h) => (moreTyped ? h.name === sub : h.name.startsWith(sub)));
  return matching;
}

function drawMenu() {
  const menu = $("slash-menu");
  const items = menuItems();
  menu.replaceChildren();
  if (!items.length) {
    menu.hidden = true;
    return;
  }
  state.menuIndex = Math.min(state.menuIndex, items.length - 1);
  const title = el("div", "menu-title");
  title.append(el("b", "", state.info.command), el("span", "", " · Talkturo for Slack"));
  menu.append(title);
  items.forEach((item, index) => {
    const row = el("button", "menu-item" + (index === state.menuIndex ? " active" : ""));
    row.type = "button";
    row.dataset.sub = item.name;
    row.setAttribute("role", "option");
    row.append(el("span", "menu-name", item.name), el("span", "menu-what", item.what));
    const usage = mrkdwn(item.usage);
    usage.classList.add("menu-usage");
    row.append(usage);
    row.addEventListener("mousedown", (event) => event.preventDefault());
    row.addEventListener("click", () => complete(item));
    menu.append(row);
  });
  menu.hidden = false;
}

function complete(item) {
  const box = $("composer");
  box.value = `${state.info.command} ${item.name} `;
  box.focus();
  drawMenu();
}

async function send() {
  const box = $("composer");
  const line = box.value.trim();
  if (!line) return;
  if (!line.startsWith("/")) {
    hint(`This page sends slash commands only: try ${state.info.command} help.`);
    return;
  }
  hint("");
  box.value = "";
  drawMenu();
  const answer = await post("/dev/command", { line, channel: placeChannel() });
  if (!answer.ok) {
    hint(answer.error);
    box.value = line;
  }
}

function setUpComposer() {
  const box = $("composer");
  const form = $("composer-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  box.addEventListener("input", () => {
    state.menuIndex = 0;
    hint("");
    drawMenu();
  });
  box.addEventListener("keydown", (event) => {
    const items = $("slash-menu").hidden ? [] : menuItems();
    if (items.length && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      state.menuIndex = (state.menuIndex + step + items.length) % items.length;
      drawMenu();
    } else if (items.length && event.key === "Tab") {
      event.preventDefault();
      complete(items[state.menuIndex]);
    } else if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      const typed = box.value.trim().split(/\s+/)[0];
      if (items.length && typed !== state.info.command) complete(items[state.menuIndex]);
      else send();
    } else if (event.key === "Escape") {
      $("slash-menu").hidden = true;
    }
  });
  box.addEventListener("blur", () => setTimeout(() => { $("slash-menu").hidden = true; }, 150));
  box.addEventListener("focus", drawMenu);
}

// --- start --------------------------------------------------------------------------------------------

async function start() {
  state.info = await (await fetch("/dev/info")).json();
  setDirectory([...state.info.users, state.info.bot], state.info.channels);
  const saved = localStorage.getItem(USER_KEY);
  state.user = state.info.users.some((u) => u.id === saved) ? saved : state.info.users[0].id;
  state.place = state.info.channel.id;
  modals = new Modals({ post }, { directory: state.info, confirm: confirmDialog });
  drawSidebar();
  drawHeader();
  setUpComposer();
  listen();
  $("composer").focus();
}

start();

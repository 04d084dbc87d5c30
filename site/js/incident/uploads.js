// Files: each one goes straight to the school's private bucket. Lantern gives a presigned POST
// (POST /api/uploads), the browser sends the file there with its progress shown, and the incident
// carries only the upload ids. The checks here are a courtesy; the server checks every file again.

import { api } from "../api.js";

export const MAX_BYTES = 20 * 1024 * 1024;
// The most files one incident takes (the server's limit too).
export const MAX_FILES = 10;

// What staff may attach: letters and notes (PDF, Word, plain text) and photos, HEIC as iPads take them.
const TYPES = {
  pdf: "application/pdf",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  webp: "image/webp",
  heic: "image/heic",
  doc: "application/msword",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  txt: "text/plain",
};
const ALLOWED = new Set(Object.values(TYPES));
const KINDS = "a PDF, a photo (JPEG, PNG, GIF, WebP or HEIC), a Word document or a plain text file";

/** The type to send for a file, from its own type or (when the device gives none) its extension; "" if not allowed. */
export function fileType(file) {
  if (ALLOWED.has(file.type)) return file.type;
  const extension = /\.([a-z0-9]+)$/i.exec(file.name)?.[1]?.toLowerCase();
  const guessed = TYPES[extension];
  // A browser that knows the type and says something else (an .exe renamed .pdf still says so) is believed.
  return guessed && (!file.type || file.type === "application/octet-stream") ? guessed : "";
}

/** Why a file cannot be uploaded, in words for staff, or "" when it can. */
export function fileProblem(file) {
  if (file.size === 0) return `“${file.name}” is empty. Choose another file.`;
  if (file.size > MAX_BYTES) {
    return `“${file.name}” is larger than 20 MB. Choose a smaller file, or ask the office to help make it smaller.`;
  }
  if (!fileType(file)) return `“${file.name}” is not a kind of file Lantern takes. Choose ${KINDS}.`;
  return "";
}

function sizeText(bytes) {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

export class Uploads {
  constructor(root, { onChange = () => {} } = {}) {
    this.input = root.querySelector('input[type="file"]');
    this.zone = root.querySelector(".app-dropzone");
    this.list = root.querySelector(".app-uploads");
    this.status = root.querySelector('[role="status"]');
    this.onChange = onChange;
    this.items = [];
    this.serial = 0;

    this.input.addEventListener("change", () => {
      this.addFiles(this.input.files);
      // Cleared so the same file can be chosen again after it is removed.
      this.input.value = "";
    });
    for (const type of ["dragenter", "dragover"]) {
      this.zone.addEventListener(type, (event) => {
        event.preventDefault();
        this.zone.classList.add("app-dropzone--dragging");
      });
    }
    this.zone.addEventListener("dragleave", () => this.zone.classList.remove("app-dropzone--dragging"));
    this.zone.addEventListener("drop", (event) => {
      event.preventDefault();
      this.zone.classList.remove("app-dropzone--dragging");
      this.addFiles(event.dataTransfer?.files || []);
    });
    this.list.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-key]");
      if (button) this.remove(Number(button.dataset.key));
    });
  }

  addFiles(files) {
    for (const file of files) {
      const full = this.items.filter((item) => item.state !== "failed").length >= MAX_FILES;
      this.serial += 1;
      const item = { key: this.serial, name: file.name, size: file.size, state: "checking", uploadId: null, xhr: null };
      this.items.push(item);
      this.renderItem(item);
      const problem = full ? `You can add up to ${MAX_FILES} files to one incident.` : fileProblem(file);
      if (problem) this.fail(item, problem);
      else this.upload(item, file);
    }
  }

  async upload(item, file) {
    item.state = "uploading";
    this.update(item, "Preparing…", 0);
    const request = { name: file.name, type: fileType(file), size: file.size };
    const { ok, status, data } = await api("POST", "/uploads", request);
    if (!this.items.includes(item)) return;
    if (!ok) {
      const message =
        status === 401
          ? "Your session has ended. Log in again in a new tab, then remove this file and add it again."
          : data.fields?.files || data.error;
      this.fail(item, message);
      return;
    }
    item.uploadId = data.upload_id;

    // S3 wants the policy fields first and the file last.
    const body = new FormData();
    for (const [name, value] of Object.entries(data.fields || {})) body.append(name, value);
    body.append("file", file);
    const xhr = new XMLHttpRequest();
    item.xhr = xhr;
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) this.update(item, "Uploading…", Math.round((event.loaded / event.total) * 100));
    });
    xhr.addEventListener("load", () => {
      item.xhr = null;
      if (xhr.status >= 200 && xhr.status < 300) this.finish(item);
      else this.fail(item, "The file could not be uploaded. Remove it and try again.");
    });
    xhr.addEventListener("error", () => {
      item.xhr = null;
      this.fail(item, "The file could not be uploaded: check your connection, then remove it and try again.");
    });
    xhr.open("POST", data.url);
    xhr.send(body);
    this.update(item, "Uploading…", 0);
  }

  finish(item) {
    item.state = "done";
    this.update(item, "Uploaded", 100);
    this.status.textContent = `${item.name} uploaded`;
    this.onChange();
  }

  fail(item, message) {
    item.state = "failed";
    item.uploadId = null;
    const node = this.nodeFor(item);
    node.classList.add("app-uploads__item--error");
    node.querySelector("progress").hidden = true;
    const text = node.querySelector(".app-uploads__state");
    text.replaceChildren(element("span", "app-visually-hidden", "Error: "), message);
    this.status.textContent = message;
    this.onChange();
  }

  remove(key) {
    const at = this.items.findIndex((item) => item.key === key);
    if (at < 0) return;
    const [item] = this.items.splice(at, 1);
    item.xhr?.abort();
    this.nodeFor(item).remove();
    const buttons = this.list.querySelectorAll("button[data-key]");
    (buttons[at] || buttons[at - 1] || this.input).focus();
    this.status.textContent = `${item.name} removed`;
    this.onChange();
  }

  nodeFor(item) {
    return this.list.querySelector(`[data-upload="${item.key}"]`);
  }

  renderItem(item) {
    const node = element("li", "app-uploads__item");
    node.dataset.upload = String(item.key);
    const name = element("p", "app-uploads__name app-break-words", item.name);
    name.append(element("span", "app-uploads__size", ` (${sizeText(item.size)})`));
    const progress = element("progress", "app-uploads__progress");
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute("aria-label", `Upload of ${item.name}`);
    const state = element("p", "app-uploads__state");
    const button = element("button", "app-button app-button--secondary app-button--small", "Remove");
    button.type = "button";
    button.dataset.key = String(item.key);
    button.append(element("span", "app-visually-hidden", ` ${item.name}`));
    node.append(name, progress, state, button);
    this.list.append(node);
  }

  update(item, text, percent) {
    const node = this.nodeFor(item);
    if (!node) return;
    node.querySelector("progress").value = percent;
    node.querySelector(".app-uploads__state").textContent = text === "Uploading…" ? `Uploading… ${percent}%` : text;
  }

  /** Files still on their way: the incident cannot be sent until they arrive or are removed. */
  busy() {
    return this.items.some((item) => item.state === "uploading" || item.state === "checking");
  }

  failed() {
    return this.items.filter((item) => item.state === "failed");
  }

  value() {
    return this.items.filter((item) => item.state === "done").map((item) => item.uploadId);
  }

  getState() {
    return this.items
      .filter((item) => item.state === "done")
      .map(({ uploadId, name, size }) => ({ upload_id: uploadId, name, size }));
  }

  /** Files from a restored draft: already in the bucket, so only their ids come back. */
  setState(saved) {
    for (const entry of Array.isArray(saved) ? saved : []) {
      if (!entry?.upload_id || this.items.some((item) => item.uploadId === entry.upload_id)) continue;
      this.serial += 1;
      const size = Number(entry.size) || 0;
      const item = { key: this.serial, name: String(entry.name), size, state: "done", uploadId: entry.upload_id, xhr: null };
      this.items.push(item);
      this.renderItem(item);
      this.update(item, "Uploaded", 100);
    }
  }
}

// Files made in the page (CSV of a chart's table) or sent by the server as base64 in JSON (the incidents' CSV,
// a chronology PDF), saved through a temporary link: nothing about the file goes into an address.

export function saveFile(filename, blob) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function saveBase64(filename, base64, type) {
  const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  saveFile(filename, new Blob([bytes], { type }));
}

/** A cell Excel will show as text, never run as a formula. */
function csvCell(value) {
  let text = String(value ?? "");
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Rows of cells as CSV for Excel: UTF-8 with a byte-order mark, CRLF line ends. */
export function csvText(rows) {
  return `\ufeff${rows.map((row) => row.map(csvCell).join(",")).join("\r\n")}\r\n`;
}

export function saveCsv(filename, rows) {
  saveFile(filename, new Blob([csvText(rows)], { type: "text/csv;charset=utf-8" }));
}

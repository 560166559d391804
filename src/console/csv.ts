/**
 * CSV cells for spreadsheets: quoted per RFC 4180, and defused: a cell beginning with = + - @, a tab or a
 * carriage return would be read as a formula by Excel, LibreOffice or Sheets (CSV injection), so it gets a
 * leading single quote, which they show as text.
 */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

export const csvRow = (cells: unknown[]) => `${cells.map(csvCell).join(",")}\r\n`;

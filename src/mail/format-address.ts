import type { Address } from "./mail-message.js";

/** "Name <addr>" (or just "addr"), as trailers and the JSON contract write people. */
export function formatAddress(a: Address | null): string {
  if (!a) return "";
  const name = a.name.trim();
  if (!name || name === a.address) return a.address;
  return `${name} <${a.address}>`;
}

/** Lower-case address, the identity used to say "same author". */
export function addressKey(a: Address | null): string {
  return (a?.address ?? "").trim().toLowerCase();
}

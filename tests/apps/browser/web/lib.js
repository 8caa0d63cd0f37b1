export function greet(who) {
  return `hello from ${who}`;
}
//# sourceMappingURL=lib.js.map

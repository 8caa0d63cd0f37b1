// Runs before the page's inline script; records what the checks need.
window.events = [];
window.violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.violations.push(e.violatedDirective);
});
if (window.apphost) {
  window.apphost.on("test:accel", (d) => window.events.push(["test:accel", d]));
  window.apphost.on("test:check", (d) => window.events.push(["test:check", d]));
}
document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("popup").addEventListener("click", () => window.open("https://www.example.com/popup"));
  document.getElementById("popup-blocked").addEventListener("click", () => window.open("file:///etc/passwd"));
});

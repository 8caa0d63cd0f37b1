// The hello sample's page script. `window.apphost` is injected by the host; without it (a plain
// browser) the page still renders and says so.
const $ = (id) => document.getElementById(id);
const host = window.apphost;

function logEvent(text) {
  const list = $("events");
  list.querySelector(".muted")?.remove();
  const li = document.createElement("li");
  li.textContent = `${new Date().toLocaleTimeString()} — ${text}`;
  list.prepend(li);
}

$("origin").textContent = location.origin + "/";

// `invoke` arrives with apphost's IPC milestone; until then calls reject with a clear code.
const invoke = (name, args) =>
  typeof host?.invoke === "function"
    ? host.invoke(name, args)
    : Promise.reject({ code: "unavailable", message: "this apphost build has no IPC yet" });

if (!host) {
  $("info").textContent = "Not running inside apphost: endpoints are unavailable.";
} else {
  invoke("app.info").then(
    (app) => { $("info").textContent = `${app.name} ${app.version ?? ""} · apphost ${app.host_version ?? ""}`; },
    (err) => { $("info").textContent = `app.info: ${err.code}`; },
  );

  $("greet-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const r = await invoke("hello.greet", { name: $("name").value.trim() });
      $("greeting").textContent = r.greeting;
    } catch (err) {
      $("greeting").textContent = `${err.code}: ${err.message}`;
    }
  });

  host.on("menu:greet", () => $("greet-form").requestSubmit());
  host.on("menu:compact", () => document.body.classList.toggle("compact"));
  host.on("menu:theme-light", () => document.body.classList.remove("dark"));
  host.on("menu:theme-dark", () => document.body.classList.add("dark"));
  for (const name of ["menu:greet", "menu:compact", "menu:theme-light", "menu:theme-dark", "menu:about", "tray:click"]) {
    host.on(name, (data) => logEvent(`${name}${data?.id ? ` (${data.id})` : ""}`));
  }
}

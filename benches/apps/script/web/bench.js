// The page of `cargo bench --bench script`: each data job done by the page's own JS and by a
// script endpoint through `window.apphost.invoke` (the whole round trip: arguments out, the
// script, the reply parsed back into page objects), in one run. WebKitGTK's clocks tick in whole
// milliseconds, so each case repeats until it has run for at least MIN_MS and reports the mean.
// Results go to the store with `bench.report`; then the page exits.
"use strict";

const MIN_MS = 400;
const invoke = (endpoint, args) => window.apphost.invoke(endpoint, args);

async function time(job) {
  await job(); // warm-up, and the JIT's first pass
  let runs = 0;
  const start = Date.now();
  while (Date.now() - start < MIN_MS || runs < 3) {
    await job();
    runs++;
  }
  return { ms: (Date.now() - start) / runs, runs };
}

function csvSplit(text) {
  const lines = text.split("\n");
  const header = lines[0].split(",");
  const rows = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === "") continue;
    const fields = lines[i].split(",");
    const row = {};
    for (let j = 0; j < header.length; j++) row[header[j]] = fields[j];
    rows.push(row);
  }
  return rows;
}

function expect(ok, what) {
  if (!ok) throw new Error(`wrong result: ${what}`);
}

async function main() {
  const text = async (name) => (await fetch(`data/${name}`)).text();
  const small = await text("5000.csv");
  const big = await text("2mb.csv");
  const json = await text("1mb.json");
  const prose = await text("1mb.txt");
  const pattern = "[a-z]+@[a-z]+\\.com";
  const emails = prose.match(new RegExp(pattern, "g")).length;
  const smallRows = csvSplit(small).length;
  const bigRows = csvSplit(big).length;

  const cases = {
    "pushes 100,000": [
      async () => {
        const a = [];
        for (let i = 0; i < 100000; i++) a.push(i);
        expect(a.length === 100000, "pushes");
      },
      async () => expect((await invoke("s.pushes", { n: 100000 })) === 100000, "s.pushes"),
    ],
    "CSV 5,000 rows → objects, split-based": [
      async () => expect(csvSplit(small).length === smallRows, "csvSplit"),
      async () => expect((await invoke("s.csv_split", { text: small })).length === smallRows, "s.csv_split"),
    ],
    "CSV 5,000 rows → objects, csv_parse": [
      null,
      async () => expect((await invoke("s.csv_helper", { text: small })).length === smallRows, "s.csv_helper"),
    ],
    "CSV 2 MB → objects, csv_parse": [
      async () => expect(csvSplit(big).length === bigRows, "csvSplit big"),
      async () => expect((await invoke("s.csv_helper", { text: big })).length === bigRows, "s.csv_helper big"),
    ],
    "JSON 1 MB parse + stringify": [
      async () => expect(JSON.stringify(JSON.parse(json)).length > 0, "JSON"),
      async () => expect((await invoke("s.json_round_trip", { text: json })).length > 0, "s.json_round_trip"),
    ],
    "regex scan 1 MB": [
      async () => expect(prose.match(new RegExp(pattern, "g")).length === emails, "regex"),
      async () => expect((await invoke("s.regex_scan", { pattern, text: prose })) === emails, "s.regex_scan"),
    ],
  };
  const report = {};
  for (const [name, [page, script]] of Object.entries(cases)) {
    report[name] = {
      page: page ? await time(page) : null,
      script: await time(script),
    };
  }
  return report;
}

main()
  .catch((e) => ({ error: String(e && e.stack ? `${e}\n${e.stack}` : e) }))
  .then(async (report) => {
    document.getElementById("status").textContent = "done";
    await invoke("bench.report", { key: "report", value: report });
    await invoke("bench.exit", { code: 0 });
  });

// Which case the page runs; `cargo bench --bench dev` writes this file in its copy of the app.
window.BENCH_CASE = "start";

// The JS case of `cargo bench --bench dev` saves versions with another number.
window.APP_VERSION = 0;

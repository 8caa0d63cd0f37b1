// A module worker: static imports work in it as in a page.
import { greet } from './lib.js';

self.postMessage({ greeting: greet('a module worker'), url: import.meta.url });

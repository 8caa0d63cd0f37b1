// A classic worker: importScripts loads a helper synchronously.
importScripts('classic-helper.js');

self.postMessage({ greeting: helperGreeting('a classic worker'), url: self.location.href });

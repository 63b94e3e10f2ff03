// The thread-local/realm-local polyfills (issue 6) land here.
export {};

/// File watching for edge-dev: turns inotify events under `handlers/` into per-endpoint changes.
/// It knows nothing of HTTP.
public enum Watcher {}

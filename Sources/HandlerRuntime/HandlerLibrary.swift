/// How a handler library is laid out on disk: what the compiler writes and the registry loads.
public enum HandlerLibrary {
    /// `libhandler_<id>.so`, the seed's naming (edge-dev runs on Linux only).
    public static func fileName(_ endpointID: String) -> String {
        "libhandler_\(endpointID).so"
    }

    /// The symbol every handler library exports (the generated glue defines it).
    public static let entrySymbol = "handler_entry"
}

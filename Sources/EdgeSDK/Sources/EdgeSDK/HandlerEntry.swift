/// The box a handler library's `handler_entry` returns: the handler function, behind an opaque
/// retained pointer, so the host can call it directly without any serialization.
///
/// edge-dev generates the glue that creates it, so a handler author writes only `handle`:
///
/// ```swift
/// @_cdecl("handler_entry")
/// public func _edgeHandlerEntry() -> UnsafeMutableRawPointer {
///     HandlerEntry(handle).retainedPointer()
/// }
/// ```
public final class HandlerEntry: Sendable {
    /// Bumped whenever the calling convention between host and handler changes; the host refuses
    /// a library built for another.
    public static let currentABIVersion = 2

    public typealias Function = @Sendable (Context, Request) async throws -> Response

    public let abiVersion: Int
    private let function: Function

    /// Wraps `handle(_ ctx: Context, _ req: Request)`, sync or async, throwing or not.
    public init(_ function: @escaping Function) {
        self.abiVersion = Self.currentABIVersion
        self.function = function
    }

    /// Wraps `handle(_ req: Request)`, for handlers that need no context.
    public convenience init(_ function: @escaping @Sendable (Request) async throws -> Response) {
        self.init { _, request in try await function(request) }
    }

    /// Runs the handler. A thrown `HandlerError` becomes its response; any other error a 500
    /// carrying the error's description.
    ///
    /// `nonisolated(nonsending)`: it runs where the host calls it (the request's task), without
    /// a hop of its own before the handler's.
    nonisolated(nonsending) public func respond(to request: Request, context: Context) async -> Response {
        do {
            return try await function(context, request)
        } catch let error as HandlerError {
            return error.response
        } catch {
            return HandlerError.internal(String(describing: error)).response
        }
    }

    /// A +1 reference for crossing the C boundary; the host takes it with `take(_:)`.
    public func retainedPointer() -> UnsafeMutableRawPointer {
        Unmanaged.passRetained(self).toOpaque()
    }

    /// Takes ownership of the reference `retainedPointer()` made.
    public static func take(_ pointer: UnsafeMutableRawPointer) -> HandlerEntry {
        Unmanaged<HandlerEntry>.fromOpaque(pointer).takeRetainedValue()
    }
}

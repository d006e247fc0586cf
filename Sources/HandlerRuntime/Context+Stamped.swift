import EdgeSDK

extension Context {
    /// This context with the endpoint and version of the handler that will run it.
    func stamped(_ handler: LoadedHandler) -> Context {
        Context(
            endpointID: handler.endpointID, version: handler.version, requestID: requestID, logSink: logSink,
            state: state, env: env, services: services)
    }
}

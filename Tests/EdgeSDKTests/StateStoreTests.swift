import EdgeSDK
import Testing

@Suite struct StateStoreTests {
    struct Counter: Codable, Equatable {
        var count = 0
    }

    @Test func valuesRoundTripAndCanBeRemoved() throws {
        let store = StateStore()
        #expect(try store.get("counter", as: Counter.self) == nil)
        try store.set("counter", Counter(count: 3))
        #expect(try store.get("counter", as: Counter.self) == Counter(count: 3))
        #expect(store.keys == ["counter"])
        store.remove("counter")
        #expect(try store.get("counter", as: Counter.self) == nil)
    }

    @Test func concurrentUpdatesLoseNothing() async throws {
        let store = StateStore()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<1000 {
                group.addTask { _ = try? store.update("counter", default: Counter()) { $0.count += 1 } }
            }
        }
        #expect(try store.get("counter", as: Counter.self)?.count == 1000)
    }

    /// A value stored by an older build decodes by its JSON, not its (per-build) Swift type; when
    /// its shape changed, the error says what and how to recover.
    @Test func aValueThatNoLongerDecodesSaysHowToRecover() throws {
        struct Renamed: Codable { var total: Int }
        let store = StateStore()
        try store.set("counter", Counter(count: 1))
        #expect(throws: HandlerError.self) { try store.get("counter", as: Renamed.self) }
        do {
            _ = try store.get("counter", as: Renamed.self)
        } catch {
            #expect(error.response.bodyText.contains("missing field 'total'"))
            #expect(error.response.bodyText.contains("ctx.state.remove"))
            #expect(error.response.bodyText.contains("edge-dev state reset"))
        }
    }

    /// An update closure that writes its own key can never commit: it gives up with a reason.
    @Test func anUpdateThatRewritesItsOwnKeyGivesUp() throws {
        let store = StateStore()
        #expect(throws: HandlerError.self) {
            try store.update("counter", default: Counter()) { counter in
                counter.count += 1
                try store.set("counter", counter)
            }
        }
        #expect(try store.get("counter", as: Counter.self)?.count == 100)
    }
}

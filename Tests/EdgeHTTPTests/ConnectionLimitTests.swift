import Testing

@testable import EdgeHTTP

@Suite struct ConnectionLimitTests {
    @Test func keepsAQuarterOfTheFreeDescriptorsForFiles() {
        #expect(ConnectionLimit(openFileLimit: 128, inUse: 23).maximum == 79)
        #expect(ConnectionLimit(openFileLimit: 128, inUse: 100).maximum == 12)  // at least 16 kept
        #expect(ConnectionLimit(openFileLimit: 524_288, inUse: 30).maximum == 524_002)  // at most 256
        #expect(ConnectionLimit(openFileLimit: 20, inUse: 30).maximum == 1)
    }

    @Test func slotsAreTakenUpToTheMaximumAndGivenBack() {
        let limit = ConnectionLimit(openFileLimit: 40, inUse: 20)  // 20 free, 16 kept
        #expect(limit.maximum == 4)
        #expect((0..<6).map { _ in limit.take() } == [true, true, true, true, false, false])
        limit.release()
        #expect(limit.take() && limit.current == 4)
    }
}

import EdgeSystem
import Glibc

/// Why a handler gave no answer of its own.
public enum HandlerFailure: Sendable {
    /// It trapped; the crash barrier ended its thread.
    case crashed(HandlerCrash)
    /// It did not answer within its timeout; it may still be running.
    case timedOut(Duration)
}

/// One trap in handler code, as the signal handler and the runtime saw it.
public struct HandlerCrash: Sendable {
    public var signal: Int32
    /// The Swift runtime's own words ("H_hello_3/handler.swift:7: Fatal error: ..."), when it
    /// left any: it does for fatalError, preconditions and most checks, not for overflow at -Onone
    /// or for bad memory accesses.
    public var message: String?
    public var faultAddress: UInt64
    public var programCounter: UInt64
    /// The image (`libhandler_<id>.so`, libswiftCore...) holding the trapping instruction, and
    /// the instruction's offset in it: what the line tables are searched with.
    public var imagePath: String?
    public var imageOffset: UInt64
    /// Seconds since the epoch.
    public var time: Int

    public init(
        signal: Int32, message: String?, faultAddress: UInt64, programCounter: UInt64, imagePath: String?,
        imageOffset: UInt64, time: Int
    ) {
        self.signal = signal
        self.message = message
        self.faultAddress = faultAddress
        self.programCounter = programCounter
        self.imagePath = imagePath
        self.imageOffset = imageOffset
        self.time = time
    }

    /// The runtime's message without its trailing newline, or what the signal says.
    public var summary: String {
        if let message {
            let trimmed = message.split(separator: "\n").joined(separator: "; ")
            if !trimmed.isEmpty { return trimmed }
        }
        switch signal {
        case SIGSEGV, SIGBUS:
            return
                "\(signalName): bad memory access at 0x\(String(faultAddress, radix: 16)) (a null or dangling pointer, or a stack overflow)"
        case SIGILL, SIGTRAP:
            return "\(signalName): trap with no message (an arithmetic overflow or another failed check)"
        case SIGFPE:
            return "\(signalName): arithmetic exception"
        case SIGABRT:
            return "\(signalName): aborted"
        default:
            return signalName
        }
    }

    public var signalName: String { EdgeSystem.signalName(signal) }
}

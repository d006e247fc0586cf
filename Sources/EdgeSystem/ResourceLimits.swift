import CSystem
import Glibc

/// Raises the open-files soft limit to the hard limit: a server with 1,000 keep-alive clients
/// needs more than the usual 1,024 descriptors. Returns the new soft limit.
@discardableResult
public func raiseOpenFileLimit() -> Int {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
    return Int(limit.rlim_cur)
}

/// The open-files soft limit now.
public func currentOpenFileLimit() -> Int {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
    return Int(limit.rlim_cur)
}

/// How many descriptors this process has open now (the entries of /proc/self/fd, less the one
/// reading it); 0 when that cannot be read.
public func openDescriptorCount() -> Int {
    guard let directory = opendir("/proc/self/fd") else { return 0 }
    defer { closedir(directory) }
    var count = 0
    while let entry = readdir(directory) {
        if entry.pointee.d_name.0 != UInt8(ascii: ".") { count += 1 }
    }
    return max(0, count - 1)
}

/// The cores this process may run on: its CPU affinity (`taskset`, a container's cpuset), not
/// every core the machine has; at least 1.
public func availableCores() -> Int {
    let cpus = Int(edge_available_cpus())
    return cpus > 0 ? cpus : max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}

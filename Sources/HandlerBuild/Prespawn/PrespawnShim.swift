import EdgeSystem
import Glibc

/// The preloaded library that holds a prespawned tool before its `main` (`PrespawnedProcess`),
/// compiled once per project with the toolchain's clang (about 150 ms, off any build's path).
enum PrespawnShim {
    /// Interposes `__libc_start_main`: with `EDGE_PRESPAWN_FD` set, the real one is called with
    /// `held_main`, which says "R" on the descriptor, reads NUL-terminated strings until the
    /// other side shuts its end (the magic, then `O` output file, `E` NAME=VALUE, `A` argument,
    /// and `Z` last), and calls the tool's `main` with them. Without the variable it changes
    /// nothing. An empty read (discarded, or edge-dev went away) ends it with status 0; a message
    /// without its magic or its final `Z` (cut short) with 125, never running the tool.
    static let source = #"""
        #define _GNU_SOURCE
        #include <dlfcn.h>
        #include <errno.h>
        #include <fcntl.h>
        #include <stdlib.h>
        #include <string.h>
        #include <unistd.h>

        typedef int (*main_function)(int, char **, char **);
        typedef int (*start_function)(main_function, int, char **, void (*)(void), void (*)(void),
                                      void (*)(void), void *);
        extern char **environ;
        static main_function tool_main;

        static void forget_shim(void) {
            const char *preload = getenv("LD_PRELOAD");
            const char *rest = preload ? strchr(preload, ':') : NULL;
            if (rest) setenv("LD_PRELOAD", rest + 1, 1); else unsetenv("LD_PRELOAD");
            unsetenv("EDGE_PRESPAWN_FD");
        }

        static int held_main(int argc, char **argv, char **envp) {
            (void)argc; (void)argv; (void)envp;
            int fd = atoi(getenv("EDGE_PRESPAWN_FD"));
            forget_shim();
            if (write(fd, "R", 1) != 1) _exit(0);
            size_t capacity = 1 << 16, length = 0;
            char *buffer = malloc(capacity);
            if (!buffer) _exit(125);
            for (;;) {
                if (length + 1 >= capacity) {
                    char *larger = realloc(buffer, capacity *= 2);
                    if (!larger) _exit(125);
                    buffer = larger;
                }
                ssize_t count = read(fd, buffer + length, capacity - length - 1);
                if (count < 0) { if (errno == EINTR) continue; _exit(125); }
                if (count == 0) break;
                length += (size_t)count;
            }
            close(fd);
            // Nothing at all: discarded (or edge-dev went away before handing work over).
            if (length == 0) _exit(0);
            buffer[length] = 0;
            // A message cut short (edge-dev died while sending) must not run: it ends in "Z".
            if (strcmp(buffer, "\#(PrespawnedProcess.magic)") != 0 || length < 3 || buffer[length - 1] != 0
                || buffer[length - 2] != 'Z' || buffer[length - 3] != 0) _exit(125);
            char **arguments = calloc(length + 1, sizeof(char *));
            if (!arguments) _exit(125);
            int count = 0;
            for (size_t at = strlen(buffer) + 1; at < length; at += strlen(buffer + at) + 1) {
                char *item = buffer + at;
                if (item[0] == 'A') {
                    arguments[count++] = item + 1;
                } else if (item[0] == 'E') {
                    putenv(item + 1);
                } else if (item[0] == 'O') {
                    int output = open(item + 1, O_WRONLY | O_CREAT | O_TRUNC, 0644);
                    if (output < 0) _exit(126);
                    dup2(output, 1);
                    dup2(output, 2);
                    if (output > 2) close(output);
                }
            }
            if (count == 0) _exit(125);
            return tool_main(count, arguments, environ);
        }

        int __libc_start_main(main_function main, int argc, char **argv, void (*init)(void),
                              void (*fini)(void), void (*rtld_fini)(void), void *stack_end) {
            start_function start = (start_function)dlsym(RTLD_NEXT, "__libc_start_main");
            if (getenv("EDGE_PRESPAWN_FD")) {
                tool_main = main;
                main = held_main;
            }
            return start(main, argc, argv, init, fini, rtld_fini, stack_end);
        }
        """#

    /// The shim for this project, compiled into `.edge/tools` when missing; nil when it cannot be
    /// (no clang next to swiftc, say): builds then start their tools as before.
    static func build(_ toolchain: Toolchain, project: Project) async -> String? {
        let source = Self.source
        var hasher = ContentHasher()
        hasher.combine(source)
        let directory = FilePath.join(project.edgeDirectory, "tools")
        let library = FilePath.join(directory, "libedge-prespawn-\(String(hasher.value, radix: 16)).so")
        if FilePath.exists(library) { return library }
        do {
            try FilePath.createDirectories(directory)
            let unique = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let file = FilePath.join(directory, "prespawn-\(unique).c")
            let partial = library + ".\(unique)"
            let log = FilePath.join(directory, "prespawn-\(unique).log")
            defer {
                unlink(file)
                unlink(log)
                unlink(partial)
            }
            try FilePath.write(source, to: file)
            let status = try await Subprocess.run(
                toolchain.clang, ["-shared", "-fPIC", "-O2", "-o", partial, file, "-ldl"], outputFile: log,
                timeout: .seconds(30))
            guard status == 0, rename(partial, library) == 0 else { return nil }
            return library
        } catch {
            return nil
        }
    }
}

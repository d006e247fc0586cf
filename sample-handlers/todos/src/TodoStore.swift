import Synchronization

/// The todos, in memory, safe under concurrent requests.
final class TodoStore: Sendable {
    private struct State {
        var nextID = 1
        var todos: [Int: Todo] = [:]
    }

    private let state = Mutex(State())

    func all() -> [Todo] {
        state.withLock { $0.todos.values.sorted { $0.id < $1.id } }
    }

    func get(_ id: Int) -> Todo? {
        state.withLock { $0.todos[id] }
    }

    func add(title: String, done: Bool) -> Todo {
        state.withLock { state in
            let todo = Todo(id: state.nextID, title: title, done: done)
            state.todos[todo.id] = todo
            state.nextID += 1
            return todo
        }
    }

    func remove(_ id: Int) -> Bool {
        state.withLock { $0.todos.removeValue(forKey: id) != nil }
    }
}

let store = TodoStore()

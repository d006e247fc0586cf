# Shared by the bench scripts (sourced, not run): installing what they need and starting
# `edge-dev serve` on a project.

# need COMMAND:PACKAGE...: installs (Debian) the package of each command that is missing.
need() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null || [ -x "/usr/sbin/${pair%%:*}" ] || missing+=("${pair#*:}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# start_serve PROJECT LOG [serve options...]: starts "$EDGE serve --port 0" (after $SERVE_PREFIX,
# when set) in the folder PROJECT
# with its output in LOG, waits until it is ready, and sets SERVE_PID and SERVE_PORT.
start_serve() {
  local project=$1 log=$2
  shift 2
  # shellcheck disable=SC2086 # SERVE_PREFIX is words: "taskset -c 0"
  (cd "$project" && exec ${SERVE_PREFIX:-} "$EDGE" serve --port 0 "$@" > "$log" 2>&1) &
  SERVE_PID=$!
  for _ in $(seq 1 300); do grep -q '^ready:' "$log" 2>/dev/null && break; sleep 0.1; done
  SERVE_PORT=$(sed -n 's#^listening on http://127.0.0.1:\([0-9]*\)#\1#p' "$log" | head -1)
  [ -n "$SERVE_PORT" ] || { cat "$log" >&2; return 1; }
}

# large_endpoint DIR: writes a 12-file endpoint of about 1,500 lines with Codable types into
# DIR/src (11 model files and the handler); Model1.swift holds `let benchMark`, which
# GET /large?mark=1 answers.
large_endpoint() {
  local dir=$1 k
  mkdir -p "$dir/src"
  printf '{ "method": "GET", "path": "/large" }\n' > "$dir/endpoint.json"
  for k in $(seq 1 11); do
    sed "s/@K@/$k/g" > "$dir/src/Model$k.swift" <<'SWIFT'
import EdgeSDK
import Foundation

enum Status@K@: String, Codable, Sendable, CaseIterable {
    case pending, paid, shipped, delivered, returned
    var isOpen: Bool { self == .pending || self == .paid || self == .shipped }
}

struct Address@K@: Codable, Sendable, Equatable {
    var street: String
    var city: String
    var postcode: String
    var country: String
    var label: String { "\(street), \(postcode) \(city), \(country)" }
}

struct Item@K@: Codable, Sendable, Equatable {
    var sku: String
    var quantity: Int
    var unitPrice: Double
    var total: Double { Double(quantity) * unitPrice }
}

struct Order@K@: Codable, Sendable, Equatable {
    var id: Int
    var items: [Item@K@]
    var status: Status@K@
    var note: String?
    var total: Double { items.reduce(0) { $0 + $1.total } }
    var itemCount: Int { items.reduce(0) { $0 + $1.quantity } }
}

struct Customer@K@: Codable, Sendable, Equatable {
    var id: Int
    var name: String
    var email: String
    var tags: [String]
    var score: Double
    var active: Bool
    var address: Address@K@
    var orders: [Order@K@]

    static func sample(_ index: Int) -> Customer@K@ {
        let items = (0..<(index % 4 + 1)).map { n in
            Item@K@(sku: "SKU-@K@-\(index)-\(n)", quantity: n + 1, unitPrice: Double(n) * 2.5 + 1)
        }
        let orders = (0..<(index % 3 + 1)).map { n in
            Order@K@(
                id: index * 10 + n, items: items, status: Status@K@.allCases[(index + n) % Status@K@.allCases.count],
                note: n.isMultiple(of: 2) ? nil : "call first")
        }
        return Customer@K@(
            id: index, name: "Customer \(index)", email: "c\(index)@example.com",
            tags: index.isMultiple(of: 2) ? ["even", "@K@"] : ["odd"], score: Double(index % 100) / 10,
            active: index % 5 != 0,
            address: Address@K@(street: "\(index) Main St", city: "Town @K@", postcode: "\(10000 + index)", country: "NL"),
            orders: orders)
    }

    var totalSpent: Double { orders.reduce(0) { $0 + $1.total } }
    var openOrders: [Order@K@] { orders.filter { $0.status.isOpen } }
    var isValuable: Bool { totalSpent > 50 && active }
}

struct Summary@K@: Codable, Sendable {
    var id: Int
    var name: String
    var city: String
    var spent: Double
    var open: Int
    var items: Int
    var valuable: Bool
    var statuses: [String: Int]
}

extension Customer@K@ {
    func summary() -> Summary@K@ {
        var statuses: [String: Int] = [:]
        for order in orders { statuses[order.status.rawValue, default: 0] += 1 }
        return Summary@K@(
            id: id, name: name, city: address.city, spent: totalSpent, open: openOrders.count,
            items: orders.reduce(0) { $0 + $1.itemCount }, valuable: isValuable, statuses: statuses)
    }
}

struct Report@K@: Codable, Sendable {
    var part: Int
    var customers: Int
    var valuable: Int
    var revenue: Double
    var byCity: [String: Double]
    var top: [Summary@K@]
}

func report@K@(count: Int) -> Report@K@ {
    let summaries = (0..<count).map { Customer@K@.sample($0).summary() }
    var byCity: [String: Double] = [:]
    for summary in summaries { byCity[summary.city, default: 0] += summary.spent }
    let top = summaries.sorted { $0.spent > $1.spent }.prefix(3)
    return Report@K@(
        part: @K@, customers: summaries.count, valuable: summaries.filter(\.valuable).count,
        revenue: summaries.reduce(0) { $0 + $1.spent }, byCity: byCity, top: Array(top))
}

func validate@K@(_ customer: Customer@K@) throws -> Customer@K@ {
    guard !customer.name.isEmpty else { throw HandlerError.validation("name must not be empty") }
    guard customer.email.contains("@") else { throw HandlerError.validation("email must contain @") }
    guard customer.orders.allSatisfy({ !$0.items.isEmpty }) else {
        throw HandlerError.validation("every order needs an item")
    }
    return customer
}

struct Filter@K@: Codable, Sendable {
    var city: String?
    var minimumSpent: Double?
    var status: Status@K@?
    var onlyActive: Bool

    func matches(_ customer: Customer@K@) -> Bool {
        if let city, customer.address.city != city { return false }
        if let minimumSpent, customer.totalSpent < minimumSpent { return false }
        if let status, !customer.orders.contains(where: { $0.status == status }) { return false }
        return !onlyActive || customer.active
    }
}

func search@K@(_ filter: Filter@K@, count: Int) -> [Summary@K@] {
    (0..<count).map(Customer@K@.sample).filter(filter.matches).map { $0.summary() }
}

func roundTrip@K@(_ customer: Customer@K@) throws -> Bool {
    let data = try JSONEncoder().encode(customer)
    return try JSONDecoder().decode(Customer@K@.self, from: data) == customer
}
SWIFT
  done
  printf '\nlet benchMark = "edit-mark"\n' >> "$dir/src/Model1.swift"
  {
    printf 'import EdgeSDK\n\n/// GET /large?part=N: a report of part N; ?mark=1: the bench'"'"'s edit mark.\n'
    printf 'func handle(_ ctx: Context, _ req: Request) async throws -> Response {\n'
    printf '    if req.query("mark") != nil { return .text(benchMark) }\n'
    printf '    let count = Int(req.query("count") ?? "20") ?? 20\n'
    printf '    switch Int(req.query("part") ?? "1") ?? 1 {\n'
    for k in $(seq 1 11); do printf '    case %d: return .ok(report%d(count: count))\n' "$k" "$k"; done
    printf '    default: throw HandlerError.notFound("no such part")\n    }\n}\n'
  } > "$dir/src/handler.swift"
}

/// Splits an SQL script into the statements `psql -f` would send, following
/// psql's own lexer (PostgreSQL 15: `src/fe_utils/psqlscan.l`, the line loop
/// of `src/bin/psql/mainloop.c` and, for backslash commands,
/// `src/bin/psql/psqlscanslash.l`).
///
/// What it mirrors:
/// - input is read line by line (`\n`); tokens never span lines, lexer state
///   (quote, comment, paren/begin depth) carries over. Empty lines outside
///   quotes and comments are skipped; other lines are joined with `\n`.
///   A UTF-8 byte-order mark on the first line is dropped.
/// - a statement ends at a `;` outside quotes and comments when
///   `paren_depth` and `begin_depth` are both 0.
/// - `begin_depth`: only when the statement's first identifiers are
///   `CREATE [OR REPLACE] FUNCTION|PROCEDURE` and at paren depth 0, `BEGIN`
///   increments, `CASE` increments inside a BEGIN, `END` decrements. Only
///   unquoted identifier tokens count (not quoted names, not words inside
///   strings, dollar quotes, comments, `:name` variable references or numeric
///   junk like `1end`); the identifier count resets at each statement end.
/// - strings: `'…'` (standard_conforming_strings on: `''`, no escapes),
///   `E'…'` (backslash escapes), `U&'…'`, `B'…'`, `X'…'`, `N'…'`,
///   continuation of a string after a newline within one line (only `\r`
///   can do that); `"…"` and `U&"…"` identifiers with `""`; `$tag$…$tag$`
///   (tag `[A-Za-z\200-\377_][A-Za-z\200-\377_0-9]*`; `$` within an identifier
///   or `$1` parameters start none); `--` comments and nested `/* */`
///   comments.
/// - whitespace and `--` comments before a statement are dropped (psql 15
///   keeps later ones and sends them).
/// - a `\` outside quotes starts a meta-command (dropped): the command name,
///   then its arguments (quoted with `'…'`, `"…"`, `` `…` ``) up to the end of
///   the line or to the next unquoted `\`; a following `\\` is eaten and SQL
///   resumes after it. Unknown commands and those taking the whole line
///   (`\copy`, `\!`, `\h`, `\sf`, …) run to the end of the line. `\;` and `\:`
///   put a literal `;`/`:` into the statement (`\;` also resets the
///   identifier count). `\g`-like commands send the buffer (or, empty, the
///   previous statement again), `\r` clears it, `\q` stops reading.
/// - at the end of input an unfinished statement (even inside an open
///   quote) is sent as the last one.
///
/// Not mirrored: psql variable interpolation (`:name` is kept verbatim),
/// `\if` branches, `\i` includes, `COPY … FROM stdin` data, and
/// `standard_conforming_strings = off`.
///
/// Linear in the input; never fails on garbage.
struct SQLStatementSplitter {
    /// The statements psql would send, each without its trailing `;` and
    /// with surrounding whitespace removed; empty ones are left out.
    static func statements(in input: [UInt8]) -> [String] {
        var splitter = SQLStatementSplitter(input)
        splitter.run()
        return splitter.output
    }

    // MARK: - State (psqlscan.l's PsqlScanStateData)

    private enum State { case initial, xb, xc, xd, xh, xq, xqs, xe, xdolq, xui, xus }

    private let s: [UInt8]
    private var state: State = .initial
    private var stateBeforeStrStop: State = .initial
    private var parenDepth = 0
    private var beginDepth = 0
    private var xcDepth = 0
    private var identifierCount = 0
    private var identifiers: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
    /// The open dollar quote's delimiter (`$tag$`) as a range of `s`.
    private var dolqStart: Range<Int>?

    /// psql's query buffer.
    private var buffer: [UInt8] = []
    private var previous: [UInt8] = []
    private var output: [String] = []
    private var stopped = false

    private init(_ input: [UInt8]) {
        s = input
        buffer.reserveCapacity(4096)
    }

    // MARK: - The line loop (mainloop.c)

    private mutating func run() {
        let n = s.count
        var lineStart = 0
        var lineNumber = 0
        while lineStart < n && !stopped {
            lineNumber += 1
            var lineEnd = lineStart
            while lineEnd < n && s[lineEnd] != 0x0A { lineEnd += 1 }
            var start = lineStart
            if lineNumber == 1, lineEnd - start >= 3, s[start] == 0xEF, s[start + 1] == 0xBB, s[start + 2] == 0xBF {
                start += 3
            }
            processLine(start, lineEnd)
            lineStart = lineEnd + 1
        }
        if !buffer.isEmpty { send(terminated: false) }
    }

    private var inQuote: Bool { state != .initial && state != .xqs }

    private mutating func processLine(_ start: Int, _ end: Int) {
        if start == end && !inQuote { return }
        var addedNewlineAt = -1
        if !buffer.isEmpty {
            buffer.append(0x0A)
            addedNewlineAt = buffer.count
        }
        var i = start
        while i < end && !stopped {
            switch state {
            case .initial:
                i = lexInitial(i, end, &addedNewlineAt)
            case .xc:
                i = lexComment(i, end)
            case .xq, .xus:
                i = lexQuoted(i, end, doubling: true, escapes: false)
            case .xe:
                i = lexQuoted(i, end, doubling: true, escapes: true)
            case .xb, .xh:
                i = lexQuoted(i, end, doubling: false, escapes: false)
            case .xqs:
                i = lexQuoteStop(i, end)
            case .xd, .xui:
                i = lexDelimitedIdentifier(i, end)
            case .xdolq:
                i = lexDollarQuoted(i, end)
            }
        }
    }

    /// Sends the query buffer: one statement (`terminated` by its `;`).
    private mutating func send(terminated: Bool) {
        output.appendIfNotEmpty(SQLStatementSplitter.text(of: buffer[...], dropSemicolon: terminated))
        swap(&previous, &buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// psql_scan_reset.
    private mutating func resetScanState() {
        state = .initial
        parenDepth = 0
        xcDepth = 0
        dolqStart = nil
        identifierCount = 0
        beginDepth = 0
    }

    /// The statement's text: surrounding whitespace and (`dropSemicolon`)
    /// one trailing `;` removed.
    static func text(of bytes: ArraySlice<UInt8>, dropSemicolon: Bool = true) -> String {
        var lower = bytes.startIndex
        var upper = bytes.endIndex
        while lower < upper && isSpace(bytes[lower]) { lower += 1 }
        while upper > lower && isSpace(bytes[upper - 1]) { upper -= 1 }
        if dropSemicolon && upper > lower && bytes[upper - 1] == UInt8(ascii: ";") {
            upper -= 1
            while upper > lower && isSpace(bytes[upper - 1]) { upper -= 1 }
        }
        return String(decoding: bytes[lower..<upper], as: UTF8.self)
    }

    // MARK: - INITIAL

    private mutating func lexInitial(_ i: Int, _ end: Int, _ addedNewlineAt: inout Int) -> Int {
        let c = s[i]
        let next: UInt8 = i + 1 < end ? s[i + 1] : 0
        switch c {
        case 0x20, 0x09, 0x0A, 0x0D, 0x0C:
            var j = i + 1
            while j < end && SQLStatementSplitter.isSpace(s[j]) { j += 1 }
            if !buffer.isEmpty { buffer.append(contentsOf: s[i..<j]) }
            return j
        case UInt8(ascii: "-") where next == UInt8(ascii: "-"):
            // A comment runs to the end of the line (\n or \r); like
            // whitespace it is dropped only before the statement.
            var j = i + 2
            while j < end && s[j] != 0x0D && s[j] != 0x0A { j += 1 }
            if !buffer.isEmpty { buffer.append(contentsOf: s[i..<j]) }
            return j
        case UInt8(ascii: "/") where next == UInt8(ascii: "*"):
            xcDepth = 0
            state = .xc
            buffer.append(contentsOf: s[i..<(i + 2)])
            return i + 2
        case UInt8(ascii: "'"):
            state = .xq
            buffer.append(c)
            return i + 1
        case UInt8(ascii: "\""):
            state = .xd
            buffer.append(c)
            return i + 1
        case UInt8(ascii: "$"):
            return lexDollar(i, end)
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            return lexNumber(i, end)
        case UInt8(ascii: ".") where SQLStatementSplitter.isDigit(next):
            return lexNumber(i, end)
        case UInt8(ascii: ".") where next == UInt8(ascii: "."):
            buffer.append(contentsOf: s[i..<(i + 2)])
            return i + 2
        case UInt8(ascii: "("):
            parenDepth += 1
            buffer.append(c)
            return i + 1
        case UInt8(ascii: ")"):
            if parenDepth > 0 { parenDepth -= 1 }
            buffer.append(c)
            return i + 1
        case UInt8(ascii: ";"):
            buffer.append(c)
            if parenDepth == 0 && beginDepth == 0 {
                identifierCount = 0
                send(terminated: true)
                addedNewlineAt = -1
            }
            return i + 1
        case UInt8(ascii: "\\"):
            if next == UInt8(ascii: ";") || next == UInt8(ascii: ":") {
                buffer.append(next)
                if next == UInt8(ascii: ";") { identifierCount = 0 }
                return i + 2
            }
            if buffer.count == addedNewlineAt { buffer.removeLast() }
            addedNewlineAt = -1
            return metaCommand(i, end)
        case UInt8(ascii: ":"):
            return lexColon(i, end)
        default:
            if SQLStatementSplitter.isIdentStart(c) { return lexWord(i, end) }
            // {self}, {operator} and {other}: one byte at a time is the same
            // split, as operators end where a comment starts.
            buffer.append(c)
            return i + 1
        }
    }

    /// Identifiers and the prefixed string starts (`B'`, `X'`, `N'`, `E'`, `U&'`, `U&"`).
    private mutating func lexWord(_ i: Int, _ end: Int) -> Int {
        let c = s[i]
        let next: UInt8 = i + 1 < end ? s[i + 1] : 0
        let quote = UInt8(ascii: "'")
        switch c | 0x20 {
        case UInt8(ascii: "b") where next == quote:
            state = .xb
            buffer.append(contentsOf: s[i..<(i + 2)])
            return i + 2
        case UInt8(ascii: "x") where next == quote:
            state = .xh
            buffer.append(contentsOf: s[i..<(i + 2)])
            return i + 2
        case UInt8(ascii: "e") where next == quote:
            state = .xe
            buffer.append(contentsOf: s[i..<(i + 2)])
            return i + 2
        case UInt8(ascii: "n") where next == quote:
            // {xnstart}: eat only the `n`; the quote starts a plain string.
            buffer.append(c)
            return i + 1
        case UInt8(ascii: "u") where next == UInt8(ascii: "&"):
            let third: UInt8 = i + 2 < end ? s[i + 2] : 0
            if third == quote || third == UInt8(ascii: "\"") {
                state = third == quote ? .xus : .xui
                buffer.append(contentsOf: s[i..<(i + 3)])
                return i + 3
            }
            // {xufailed}: the `u` alone, not an identifier.
            buffer.append(c)
            return i + 1
        default:
            break
        }
        var j = i + 1
        while j < end && SQLStatementSplitter.isIdentCont(s[j]) { j += 1 }
        identifier(i, j)
        buffer.append(contentsOf: s[i..<j])
        return j
    }

    /// The begin_depth heuristic of psqlscan.l's {identifier} rule.
    private mutating func identifier(_ start: Int, _ end: Int) {
        if identifierCount == 0 { identifiers = (0, 0, 0, 0) }
        if isWord("create", start, end) || isWord("function", start, end) || isWord("procedure", start, end)
            || isWord("or", start, end) || isWord("replace", start, end) {
            let letter = s[start] | 0x20
            switch identifierCount {
            case 0: identifiers.0 = letter
            case 1: identifiers.1 = letter
            case 2: identifiers.2 = letter
            case 3: identifiers.3 = letter
            default: break
            }
        }
        identifierCount += 1
        let ids = identifiers
        let f = UInt8(ascii: "f"), p = UInt8(ascii: "p")
        guard ids.0 == UInt8(ascii: "c"),
              ids.1 == f || ids.1 == p || (ids.1 == UInt8(ascii: "o") && ids.2 == UInt8(ascii: "r") && (ids.3 == f || ids.3 == p)),
              parenDepth == 0 else { return }
        if isWord("begin", start, end) {
            beginDepth += 1
        } else if isWord("case", start, end) {
            if beginDepth >= 1 { beginDepth += 1 }
        } else if isWord("end", start, end) {
            if beginDepth > 0 { beginDepth -= 1 }
        }
    }

    /// Whether `s[start..<end]` is `word` (lower-case ASCII), ignoring ASCII case.
    private func isWord(_ word: StaticString, _ start: Int, _ end: Int) -> Bool {
        guard end - start == word.utf8CodeUnitCount else { return false }
        let w = word.utf8Start
        for k in 0..<(end - start) {
            let b = s[start + k]
            let lower = (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
            if lower != w[k] { return false }
        }
        return true
    }

    /// `$`: a dollar-quote delimiter, a parameter (`$1`, `$1junk`) or a lone `$`.
    private mutating func lexDollar(_ i: Int, _ end: Int) -> Int {
        var j = i + 1
        if j < end && SQLStatementSplitter.isDigit(s[j]) {
            while j < end && SQLStatementSplitter.isDigit(s[j]) { j += 1 }
            if j < end && SQLStatementSplitter.isIdentStart(s[j]) {
                j += 1
                while j < end && SQLStatementSplitter.isIdentCont(s[j]) { j += 1 }
            }
            buffer.append(contentsOf: s[i..<j])
            return j
        }
        if j < end && SQLStatementSplitter.isIdentStart(s[j]) {
            j += 1
            while j < end && SQLStatementSplitter.isDollarTagCont(s[j]) { j += 1 }
        }
        if j < end && s[j] == UInt8(ascii: "$") {
            dolqStart = i..<(j + 1)
            state = .xdolq
            buffer.append(contentsOf: s[i...j])
            return j + 1
        }
        // {dolqfailed} or {other}: the `$` alone; the rest is rescanned.
        buffer.append(s[i])
        return i + 1
    }

    /// Numbers, including PostgreSQL 15's trailing-junk tokens (`1end` is one token).
    private mutating func lexNumber(_ i: Int, _ end: Int) -> Int {
        var j = i
        if s[i] == UInt8(ascii: ".") {
            j += 1
            while j < end && SQLStatementSplitter.isDigit(s[j]) { j += 1 }
        } else {
            while j < end && SQLStatementSplitter.isDigit(s[j]) { j += 1 }
            if j < end && s[j] == UInt8(ascii: ".") {
                if j + 1 < end && s[j + 1] == UInt8(ascii: ".") {
                    // {decimalfail}: the integer alone, `..` follows.
                    buffer.append(contentsOf: s[i..<j])
                    return j
                }
                j += 1
                while j < end && SQLStatementSplitter.isDigit(s[j]) { j += 1 }
            }
        }
        if j < end && (s[j] | 0x20) == UInt8(ascii: "e") {
            var k = j + 1
            if k < end && (s[k] == UInt8(ascii: "+") || s[k] == UInt8(ascii: "-")) {
                k += 1
                if k < end && SQLStatementSplitter.isDigit(s[k]) {
                    while k < end && SQLStatementSplitter.isDigit(s[k]) { k += 1 }
                    j = k
                } else {
                    // {realfail}
                    buffer.append(contentsOf: s[i..<k])
                    return k
                }
            } else if k < end && SQLStatementSplitter.isDigit(s[k]) {
                while k < end && SQLStatementSplitter.isDigit(s[k]) { k += 1 }
                j = k
            }
        }
        if j < end && SQLStatementSplitter.isIdentStart(s[j]) {
            j += 1
            while j < end && SQLStatementSplitter.isIdentCont(s[j]) { j += 1 }
        }
        buffer.append(contentsOf: s[i..<j])
        return j
    }

    /// `::`, `:=`, and psql variable references (`:name`, `:'name'`,
    /// `:"name"`, `:{?name}`), kept verbatim as single tokens.
    private mutating func lexColon(_ i: Int, _ end: Int) -> Int {
        var j = i + 1
        let next: UInt8 = j < end ? s[j] : 0
        if next == UInt8(ascii: ":") || next == UInt8(ascii: "=") {
            j += 1
        } else if SQLStatementSplitter.isVariableChar(next) {
            while j < end && SQLStatementSplitter.isVariableChar(s[j]) { j += 1 }
        } else if next == UInt8(ascii: "'") || next == UInt8(ascii: "\"") {
            var k = j + 1
            while k < end && SQLStatementSplitter.isVariableChar(s[k]) { k += 1 }
            if k > j + 1 && k < end && s[k] == next { j = k + 1 }
        } else if next == UInt8(ascii: "{") && j + 1 < end && s[j + 1] == UInt8(ascii: "?") {
            var k = j + 2
            while k < end && SQLStatementSplitter.isVariableChar(s[k]) { k += 1 }
            if k > j + 2 && k < end && s[k] == UInt8(ascii: "}") { j = k + 1 }
        }
        buffer.append(contentsOf: s[i..<j])
        return j
    }

    // MARK: - Quotes and comments

    private mutating func lexComment(_ i: Int, _ end: Int) -> Int {
        var j = i
        while j < end {
            if s[j] == UInt8(ascii: "/") && j + 1 < end && s[j + 1] == UInt8(ascii: "*") {
                xcDepth += 1
                j += 2
            } else if s[j] == UInt8(ascii: "*") && j + 1 < end && s[j + 1] == UInt8(ascii: "/") {
                j += 2
                if xcDepth <= 0 {
                    state = .initial
                    break
                }
                xcDepth -= 1
            } else {
                j += 1
            }
        }
        buffer.append(contentsOf: s[i..<j])
        return j
    }

    private mutating func lexQuoted(_ i: Int, _ end: Int, doubling: Bool, escapes: Bool) -> Int {
        var j = i
        while j < end {
            let c = s[j]
            if escapes && c == UInt8(ascii: "\\") {
                j = min(j + 2, end)
            } else if c == UInt8(ascii: "'") {
                if doubling && j + 1 < end && s[j + 1] == UInt8(ascii: "'") {
                    j += 2
                } else {
                    j += 1
                    stateBeforeStrStop = state
                    state = .xqs
                    break
                }
            } else {
                j += 1
            }
        }
        buffer.append(contentsOf: s[i..<j])
        return j
    }

    /// After a closing quote: `{quotecontinue}` (whitespace with a newline,
    /// then a quote) continues the string; anything else returns to INITIAL
    /// without consuming.
    private mutating func lexQuoteStop(_ i: Int, _ end: Int) -> Int {
        var j = i
        // {horiz_whitespace}*
        while j < end {
            let c = s[j]
            if c == 0x20 || c == 0x09 || c == 0x0C {
                j += 1
            } else if c == UInt8(ascii: "-") && j + 1 < end && s[j + 1] == UInt8(ascii: "-") {
                j += 2
                while j < end && !SQLStatementSplitter.isNewline(s[j]) { j += 1 }
            } else {
                break
            }
        }
        guard j < end && SQLStatementSplitter.isNewline(s[j]) else {
            state = .initial
            return i
        }
        j += 1
        // {special_whitespace}*
        while j < end {
            if SQLStatementSplitter.isSpace(s[j]) {
                j += 1
            } else if s[j] == UInt8(ascii: "-") && j + 1 < end && s[j + 1] == UInt8(ascii: "-") {
                var k = j + 2
                while k < end && !SQLStatementSplitter.isNewline(s[k]) { k += 1 }
                guard k < end else { break }
                j = k + 1
            } else {
                break
            }
        }
        guard j < end && s[j] == UInt8(ascii: "'") else {
            state = .initial
            return i
        }
        buffer.append(contentsOf: s[i...j])
        state = stateBeforeStrStop
        return j + 1
    }

    private mutating func lexDelimitedIdentifier(_ i: Int, _ end: Int) -> Int {
        var j = i
        while j < end {
            if s[j] == UInt8(ascii: "\"") {
                if j + 1 < end && s[j + 1] == UInt8(ascii: "\"") {
                    j += 2
                } else {
                    j += 1
                    state = .initial
                    break
                }
            } else {
                j += 1
            }
        }
        buffer.append(contentsOf: s[i..<j])
        return j
    }

    /// Inside `$tag$…`: up to the first occurrence of the same delimiter
    /// (psqlscan.l tries every `$`, which finds exactly that).
    private mutating func lexDollarQuoted(_ i: Int, _ end: Int) -> Int {
        guard let delimiter = dolqStart else {
            state = .initial
            return i
        }
        let length = delimiter.count
        var j = i
        while j < end {
            if s[j] == UInt8(ascii: "$") && j + length <= end && matches(delimiter, at: j) {
                j += length
                state = .initial
                dolqStart = nil
                break
            }
            j += 1
        }
        buffer.append(contentsOf: s[i..<j])
        return j
    }

    private func matches(_ delimiter: Range<Int>, at position: Int) -> Bool {
        var k = 0
        for d in delimiter {
            if s[position + k] != s[d] { return false }
            k += 1
        }
        return true
    }

    // MARK: - Backslash commands

    /// Commands whose argument is the rest of the line.
    private static let wholeLineCommands: Set<String> = [
        "!", "?", "copy", "ef", "ev", "h", "help", "sf", "sf+", "sv", "sv+",
    ]
    /// psql 15's commands (the `d…` and `lo_…` families by prefix).
    private static let knownCommands: Set<String> = [
        "!", "?", "C", "H", "T", "a", "c", "cd", "connect", "conninfo", "copy", "copyright", "crosstabview",
        "e", "echo", "edit", "ef", "elif", "else", "encoding", "endif", "errverbose", "ev", "f", "g", "gdesc",
        "getenv", "gexec", "gset", "gx", "h", "help", "html", "i", "include", "include_relative", "if", "ir",
        "l", "l+", "list", "list+", "o", "out", "p", "password", "print", "prompt", "pset", "q", "qecho", "quit",
        "r", "reset", "restrict", "s", "set", "setenv", "sf", "sf+", "sv", "sv+", "t", "timing", "unrestrict",
        "unset", "w", "warn", "watch", "write", "x", "z",
    ]
    private static let sendCommands: Set<String> = ["g", "gx", "gset", "gexec", "gdesc", "crosstabview"]

    /// A backslash command starting at `i` (the `\`); returns where SQL resumes.
    private mutating func metaCommand(_ i: Int, _ end: Int) -> Int {
        var j = i + 1
        let nameStart = j
        while j < end && !SQLStatementSplitter.isSpace(s[j]) && s[j] != UInt8(ascii: "\\") { j += 1 }
        let name = String(decoding: s[nameStart..<j], as: UTF8.self)
        let known = SQLStatementSplitter.knownCommands.contains(name) || name.hasPrefix("d") || name.hasPrefix("lo_")
        if !known || SQLStatementSplitter.wholeLineCommands.contains(name) {
            j = end
        } else {
            j = skipArguments(j, end)
            if j + 1 < end && s[j] == UInt8(ascii: "\\") && s[j + 1] == UInt8(ascii: "\\") { j += 2 }
        }
        if SQLStatementSplitter.sendCommands.contains(name) {
            if buffer.isEmpty { buffer = previous }
            if !buffer.isEmpty { send(terminated: false) }
            resetScanState()
        } else if name == "r" || name == "reset" {
            buffer.removeAll(keepingCapacity: true)
            resetScanState()
        } else if name == "q" || name == "quit" {
            stopped = true
        }
        return j
    }

    /// A command's arguments: up to the end of the line or an unquoted `\`.
    private func skipArguments(_ start: Int, _ end: Int) -> Int {
        var j = start
        while true {
            while j < end && SQLStatementSplitter.isSpace(s[j]) { j += 1 }
            if j >= end || s[j] == UInt8(ascii: "\\") { return j }
            while j < end {
                let c = s[j]
                if SQLStatementSplitter.isSpace(c) || c == UInt8(ascii: "\\") { break }
                j += 1
                switch c {
                case UInt8(ascii: "'"):
                    while j < end {
                        if s[j] == UInt8(ascii: "\\") { j = min(j + 2, end); continue }
                        if s[j] == UInt8(ascii: "'") {
                            if j + 1 < end && s[j + 1] == UInt8(ascii: "'") { j += 2; continue }
                            j += 1
                            break
                        }
                        j += 1
                    }
                case UInt8(ascii: "\""), UInt8(ascii: "`"):
                    while j < end && s[j] != c { j += 1 }
                    if j < end { j += 1 }
                default:
                    break
                }
            }
        }
    }

    // MARK: - Character classes

    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0C }
    private static func isNewline(_ c: UInt8) -> Bool { c == 0x0A || c == 0x0D }
    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    private static func isIdentStart(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == 0x5F || c >= 0x80
    }
    private static func isDollarTagCont(_ c: UInt8) -> Bool { isIdentStart(c) || isDigit(c) }
    private static func isIdentCont(_ c: UInt8) -> Bool { isDollarTagCont(c) || c == UInt8(ascii: "$") }
    private static func isVariableChar(_ c: UInt8) -> Bool { isDollarTagCont(c) }
}

private extension Array where Element == String {
    mutating func appendIfNotEmpty(_ text: String) {
        if !text.isEmpty { append(text) }
    }
}

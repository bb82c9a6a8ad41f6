import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The XML S3 answers with (list pages, errors, multipart ids), read with
/// Foundation's `XMLParser` into a small element tree, so CDATA, comments, the
/// XML declaration, namespace prefixes (`<s3:Key>`) and entities all read as
/// S3 meant them. Names are compared without their prefix. A document that does
/// not parse is an error (`parse`), never an empty tree.
struct S3XML: Sendable, Equatable {
    /// The element's name without a namespace prefix.
    var name: String
    /// The character data directly inside (text and CDATA), unaltered.
    var text: String
    var children: [S3XML]

    /// The first child element named `name`.
    func child(_ name: String) -> S3XML? { children.first { $0.name == name } }

    func children(_ name: String) -> [S3XML] { children.filter { $0.name == name } }

    /// The first element named `name` at any depth (this one included), depth first.
    func first(_ name: String) -> S3XML? {
        if self.name == name { return self }
        for child in children {
            if let found = child.first(name) { return found }
        }
        return nil
    }

    /// The root element of `bytes`; throws `S3XMLError` when they are not well-formed XML.
    static func parse(_ bytes: ArraySlice<UInt8>) throws -> S3XML {
        let builder = TreeBuilder()
        let parser = XMLParser(data: Data(bytes))
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            let reason = parser.parserError.map { "\($0.localizedDescription)" } ?? "no root element"
            throw S3XMLError(reason: "line \(parser.lineNumber): \(reason)")
        }
        return root
    }

    /// The text of the first element named `tag` in `bytes`, or nil when there is
    /// none or the bytes are not XML (an error answer with an empty or HTML body).
    static func value(_ tag: String, in bytes: ArraySlice<UInt8>) -> String? {
        (try? parse(bytes))?.first(tag)?.text
    }

    /// Escapes text for an XML element body.
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}

/// An S3 answer that is not well-formed XML.
struct S3XMLError: Error, CustomStringConvertible {
    let reason: String
    var description: String { "the answer is not well-formed XML (\(reason))" }
}

/// Collects `XMLParser` events into `S3XML` elements; one parse, one thread.
private final class TreeBuilder: NSObject, XMLParserDelegate {
    private var stack: [S3XML] = []
    private(set) var root: S3XML?

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]) {
        let local = elementName.split(separator: ":").last.map(String.init) ?? elementName
        stack.append(S3XML(name: local, text: "", children: []))
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        guard let element = stack.popLast() else { return }
        if stack.isEmpty { root = element } else { stack[stack.count - 1].children.append(element) }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += string
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self)
    }
}

package io.jrnn.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON parser (RFC 8259) that returns plain Java values: objects as {@link LinkedHashMap} (key order
 * kept), arrays as {@link ArrayList}, strings as {@link String}, numbers as {@link Long} when written without a
 * fraction or exponent and within the long range, else {@link Double}, {@code true}/{@code false} as
 * {@link Boolean}, and {@code null} as {@code null}.
 *
 * <p>Strict means: no comments, no trailing commas, no leading zeros, no NaN/Infinity, no single quotes, no
 * unescaped control characters, no unpaired surrogates, no duplicate keys in an object, nothing but whitespace
 * after the value, and at most {@link #MAX_DEPTH} nested arrays/objects (a hostile file cannot overflow the stack).
 *
 * <p>Thread safety: {@link #parse} keeps no shared state; call it from any thread.
 */
public final class Json {
    /** The deepest nesting of arrays and objects accepted. */
    public static final int MAX_DEPTH = 64;

    /** Malformed JSON: what is wrong ({@link #reason()}) and where ({@link #offset()}, a char index). */
    public static final class SyntaxException extends IOException {
        private static final long serialVersionUID = 1L;
        private final String reason;
        private final int offset;

        SyntaxException(String reason, int offset, String text) {
            super(reason + " at character " + offset + " (" + lineColumn(text, offset) + ")");
            this.reason = reason;
            this.offset = offset;
        }

        /** The problem, without the location. */
        public String reason() {
            return reason;
        }

        /** Index in the parsed text of the char where the problem was found (text length for "end of input"). */
        public int offset() {
            return offset;
        }

        private static String lineColumn(String text, int offset) {
            int line = 1;
            int lineStart = 0;
            for (int i = 0; i < offset && i < text.length(); i++) {
                if (text.charAt(i) == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            return "line " + line + ", column " + (offset - lineStart + 1);
        }
    }

    private final String text;
    private int pos;
    private int depth;

    private Json(String text) {
        this.text = text;
    }

    /** Parses one JSON value that makes up the whole of {@code text} (surrounding whitespace allowed). */
    public static Object parse(String text) throws SyntaxException {
        if (text == null) throw new IllegalArgumentException("JSON text must not be null");
        Json p = new Json(text);
        p.skipWhitespace();
        Object value = p.value();
        p.skipWhitespace();
        if (p.pos < text.length()) throw p.error("unexpected " + p.describe(p.pos) + " after the JSON value");
        return value;
    }

    private Object value() throws SyntaxException {
        if (pos >= text.length()) throw error("expected a JSON value, found end of input");
        char c = text.charAt(pos);
        switch (c) {
            case '{': return object();
            case '[': return array();
            case '"': return string();
            case 't': return literal("true", Boolean.TRUE);
            case 'f': return literal("false", Boolean.FALSE);
            case 'n': return literal("null", null);
            default:
                if (c == '-' || (c >= '0' && c <= '9')) return number();
                throw error("expected a JSON value, found " + describe(pos));
        }
    }

    private Map<String, Object> object() throws SyntaxException {
        enter();
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            depth--;
            return map;
        }
        while (true) {
            if (peek() != '"') throw error("expected a string key, found " + describe(pos));
            int keyAt = pos;
            String key = string();
            if (map.containsKey(key)) throw new SyntaxException("duplicate key " + quote(key), keyAt, text);
            skipWhitespace();
            if (peek() != ':') throw error("expected ':' after key " + quote(key) + ", found " + describe(pos));
            pos++;
            skipWhitespace();
            map.put(key, value());
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == '}') break;
            if (c != ',') {
                pos--;
                throw error("expected ',' or '}' after the value of key " + quote(key) + ", found " + describe(pos));
            }
            skipWhitespace();
        }
        depth--;
        return map;
    }

    private List<Object> array() throws SyntaxException {
        enter();
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            depth--;
            return list;
        }
        while (true) {
            list.add(value());
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == ']') break;
            if (c != ',') {
                pos--;
                throw error("expected ',' or ']' after array element " + (list.size() - 1) + ", found "
                        + describe(pos));
            }
            skipWhitespace();
        }
        depth--;
        return list;
    }

    private void enter() throws SyntaxException {
        if (++depth > MAX_DEPTH) throw error("arrays and objects nested deeper than " + MAX_DEPTH + " levels");
    }

    private String string() throws SyntaxException {
        int start = pos;
        pos++; // opening quote
        StringBuilder sb = null;
        int runStart = pos; // start of the current run of chars copied verbatim
        while (true) {
            if (pos >= text.length()) throw new SyntaxException("unterminated string", start, text);
            char c = text.charAt(pos);
            if (c == '"') {
                String s = sb == null ? text.substring(runStart, pos) : sb.append(text, runStart, pos).toString();
                pos++;
                return s;
            }
            if (c < 0x20) throw error("unescaped control character " + describe(pos) + " in a string");
            if (Character.isSurrogate(c)) {
                // A Java String may hold lone surrogates; they are not Unicode text and cannot be encoded.
                if (Character.isHighSurrogate(c) && pos + 1 < text.length()
                        && Character.isLowSurrogate(text.charAt(pos + 1))) {
                    pos += 2;
                    continue;
                }
                throw error("unpaired surrogate " + describe(pos) + " in a string");
            }
            if (c != '\\') {
                pos++;
                continue;
            }
            if (sb == null) sb = new StringBuilder();
            sb.append(text, runStart, pos);
            int escapeAt = pos;
            pos++;
            if (pos >= text.length()) throw new SyntaxException("unterminated string", start, text);
            char e = text.charAt(pos++);
            switch (e) {
                case '"': sb.append('"'); break;
                case '\\': sb.append('\\'); break;
                case '/': sb.append('/'); break;
                case 'b': sb.append('\b'); break;
                case 'f': sb.append('\f'); break;
                case 'n': sb.append('\n'); break;
                case 'r': sb.append('\r'); break;
                case 't': sb.append('\t'); break;
                case 'u': {
                    char u = hex4();
                    if (Character.isHighSurrogate(u)) {
                        // must be followed by an escaped low surrogate: together they make one code point
                        if (!text.startsWith("\\u", pos)) {
                            throw new SyntaxException("unpaired surrogate \\u" + hex(u) + " in a string", escapeAt,
                                    text);
                        }
                        pos += 2;
                        char low = hex4();
                        if (!Character.isLowSurrogate(low)) {
                            throw new SyntaxException("surrogate \\u" + hex(u) + " followed by \\u" + hex(low)
                                    + ", which is not a low surrogate", escapeAt, text);
                        }
                        sb.append(u).append(low);
                    } else if (Character.isLowSurrogate(u)) {
                        throw new SyntaxException("unpaired surrogate \\u" + hex(u) + " in a string", escapeAt, text);
                    } else {
                        sb.append(u);
                    }
                    break;
                }
                default:
                    String what = e >= 0x21 && e < 0x7f ? "\\" + e : "\\ followed by " + printable(e);
                    throw new SyntaxException("invalid escape " + what + " in a string", escapeAt, text);
            }
            runStart = pos;
        }
    }

    private char hex4() throws SyntaxException {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = pos < text.length() ? Character.digit(text.charAt(pos), 16) : -1;
            // Character.digit accepts non-ASCII digits; JSON wants [0-9a-fA-F] only
            if (d < 0 || text.charAt(pos) > 'f') {
                throw error("expected 4 hex digits after \\u, found " + describe(pos));
            }
            v = v * 16 + d;
            pos++;
        }
        return (char) v;
    }

    private Object number() throws SyntaxException {
        int start = pos;
        if (peek() == '-') pos++;
        if (peek() == '0') {
            pos++;
            if (isDigit(peek())) throw error("leading zeros are not allowed in numbers");
        } else if (isDigit(peek())) {
            while (isDigit(peek())) pos++;
        } else {
            throw error("expected a digit, found " + describe(pos));
        }
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            pos++;
            if (!isDigit(peek())) throw error("expected a digit after the decimal point, found " + describe(pos));
            while (isDigit(peek())) pos++;
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            pos++;
            if (peek() == '+' || peek() == '-') pos++;
            if (!isDigit(peek())) throw error("expected a digit in the exponent, found " + describe(pos));
            while (isDigit(peek())) pos++;
        }
        String s = text.substring(start, pos);
        if (integral) {
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException outOfLongRange) {
                // fall through: still a valid JSON number, kept as the nearest double
            }
        }
        double d = Double.parseDouble(s);
        if (Double.isInfinite(d)) throw new SyntaxException("number " + s + " is out of range", start, text);
        return d;
    }

    private Object literal(String word, Object value) throws SyntaxException {
        if (!text.startsWith(word, pos)) throw error("expected a JSON value, found " + describe(pos));
        pos += word.length();
        return value;
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            pos++;
        }
    }

    /** The char at pos, or 0 at the end (0 never starts a valid token, so callers report it as an error). */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : 0;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private SyntaxException error(String reason) {
        return new SyntaxException(reason, pos, text);
    }

    private String describe(int at) {
        if (at >= text.length()) return "end of input";
        return printable(text.charAt(at));
    }

    private static String printable(char c) {
        if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) || c == 0xfeff) return "U+" + hex(c);
        return "'" + c + "'";
    }

    private static String hex(char c) {
        return String.format("%04X", (int) c);
    }

    private static String quote(String key) {
        return key.length() <= 60 ? "\"" + key + "\"" : "\"" + key.substring(0, 57) + "...\"";
    }
}

package io.jrnn.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JsonTest {

    private static Json.SyntaxException fails(String text) {
        return assertThrows(Json.SyntaxException.class, () -> Json.parse(text), text);
    }

    private static void failsWith(String text, String reasonPart, int offset) {
        Json.SyntaxException e = fails(text);
        assertTrue(e.reason().contains(reasonPart), () -> "reason of " + text + ": " + e.reason());
        assertEquals(offset, e.offset(), () -> "offset of " + text + ": " + e.getMessage());
    }

    @Test
    void literals() throws Exception {
        assertEquals(Boolean.TRUE, Json.parse("true"));
        assertEquals(Boolean.FALSE, Json.parse(" false "));
        assertNull(Json.parse("\n\tnull\r\n"));
    }

    @Test
    void integersAreLongsAndTheRestDoubles() throws Exception {
        assertEquals(0L, Json.parse("0"));
        assertEquals(0L, Json.parse("-0"));
        assertEquals(123L, Json.parse("123"));
        assertEquals(-45L, Json.parse("-45"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        assertEquals(9.223372036854775808e18, Json.parse("9223372036854775808")); // past long: nearest double
        assertEquals(1.5, Json.parse("1.5"));
        assertEquals(1000.0, Json.parse("1e3"));
        assertEquals(1000.0, Json.parse("1E+3"));
        assertEquals(-2.5e-3, Json.parse("-2.5E-3"));
        assertEquals(2.0, Json.parse("2.0"));
        assertEquals(0.1, Json.parse("0.1"));
    }

    @Test
    void strings() throws Exception {
        assertEquals("", Json.parse("\"\""));
        assertEquals("plain", Json.parse("\"plain\""));
        assertEquals("q\" b\\ s/ \b\f\n\r\t", Json.parse("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t\""));
        assertEquals("é€", Json.parse("\"\\u00e9\\u20AC\""));
        assertEquals("\uD83D\uDE00", Json.parse("\"\\ud83d\\ude00\""), "escaped surrogate pair");
        assertEquals("déjà vu \uD83D\uDE00", Json.parse("\"déjà vu \uD83D\uDE00\""), "raw non-ASCII text");
        assertEquals("a\u0000b", Json.parse("\"a\\u0000b\""));
    }

    @Test
    void objectsKeepKeyOrderAndArraysNest() throws Exception {
        Object v = Json.parse("{ \"b\" : 1, \"a\": [true, null, {\"x\": []}], \"c\": {} }");
        Map<?, ?> m = assertInstanceOf(LinkedHashMap.class, v);
        assertEquals(List.of("b", "a", "c"), List.copyOf(m.keySet()));
        List<?> a = assertInstanceOf(List.class, m.get("a"));
        assertEquals(3, a.size());
        assertEquals(Boolean.TRUE, a.get(0));
        assertNull(a.get(1));
        assertEquals(Map.of("x", List.of()), a.get(2));
        assertEquals(Map.of(), m.get("c"));
        assertEquals(List.of(), Json.parse("[]"));
        assertEquals(List.of(List.of(1L, 2L), List.of()), Json.parse("[[1,2],[]]"));
    }

    @Test
    void depthLimit() throws Exception {
        int max = Json.MAX_DEPTH;
        String ok = "[".repeat(max) + "]".repeat(max);
        assertInstanceOf(List.class, Json.parse(ok));
        failsWith("[".repeat(max + 1) + "]".repeat(max + 1), "nested deeper than " + max, max);
        // far deeper than the stack could take: still a clean error
        fails("{\"a\":".repeat(100_000) + "1" + "}".repeat(100_000));
    }

    @Test
    void duplicateKeysAreRejectedAtTheSecondKey() {
        failsWith("{\"a\": 1, \"a\": 2}", "duplicate key \"a\"", 9);
        failsWith("{\"x\": {\"k\": 1, \"k\": 1}}", "duplicate key \"k\"", 15);
    }

    @Test
    void syntaxErrors() {
        failsWith("", "expected a JSON value, found end of input", 0);
        failsWith("   ", "found end of input", 3);
        failsWith("{\"a\": 1,}", "expected a string key, found '}'", 8);
        failsWith("[1, 2,]", "expected a JSON value, found ']'", 6);
        failsWith("[1 2]", "expected ',' or ']'", 3);
        failsWith("{\"a\" 1}", "expected ':'", 5);
        failsWith("{\"a\": }", "expected a JSON value", 6);
        failsWith("{a: 1}", "expected a string key", 1);
        failsWith("{'a': 1}", "expected a string key", 1);
        failsWith("{} x", "unexpected 'x' after the JSON value", 3);
        failsWith("[1] [2]", "after the JSON value", 4);
        failsWith("01", "leading zeros", 1);
        failsWith("-01", "leading zeros", 2);
        failsWith("1.", "expected a digit after the decimal point", 2);
        failsWith(".5", "expected a JSON value", 0);
        failsWith("+1", "expected a JSON value", 0);
        failsWith("-", "expected a digit", 1);
        failsWith("1e", "expected a digit in the exponent", 2);
        failsWith("1e+", "expected a digit in the exponent", 3);
        failsWith("1e400", "out of range", 0);
        failsWith("NaN", "expected a JSON value", 0);
        failsWith("Infinity", "expected a JSON value", 0);
        failsWith("tru", "expected a JSON value", 0);
        failsWith("nul", "expected a JSON value", 0);
        failsWith("True", "expected a JSON value", 0);
        failsWith("// c\n1", "expected a JSON value", 0);
        failsWith("[1, /* c */ 2]", "expected a JSON value", 4);
        failsWith("\uFEFF{}", "U+FEFF", 0);
    }

    @Test
    void stringErrors() {
        failsWith("\"abc", "unterminated string", 0);
        failsWith("[\"abc\\", "unterminated string", 1);
        failsWith("\"a\nb\"", "unescaped control character U+000A", 2);
        failsWith("\"a\tb\"", "unescaped control character U+0009", 2);
        failsWith("\"\\x\"", "invalid escape \\x in", 1);
        failsWith("\"\\u12G4\"", "expected 4 hex digits", 5);
        failsWith("\"\\u12\"", "expected 4 hex digits", 5);
        failsWith("\"\\u\u0660\u0661\u0662\u0663\"", "expected 4 hex digits", 3); // non-ASCII digits
        failsWith("\"\\ud800\"", "unpaired surrogate \\uD800", 1);
        failsWith("\"\\ud800x\"", "unpaired surrogate \\uD800", 1);
        failsWith("\"\\udc00\"", "unpaired surrogate \\uDC00", 1);
        failsWith("\"\\ud800\\u0041\"", "not a low surrogate", 1);
        failsWith("\"a\uD800b\"", "unpaired surrogate U+D800", 2);
        failsWith("\"\uDC00\"", "unpaired surrogate U+DC00", 1);
    }

    @Test
    void messagesGiveLineAndColumn() {
        Json.SyntaxException e = fails("{\n  \"a\": 1,\n  \"b\" 2\n}");
        assertTrue(e.getMessage().contains("line 3, column 7"), e.getMessage());
        assertTrue(e.getMessage().contains("at character 18"), e.getMessage());
    }

    @Test
    void nullTextIsAnArgumentError() {
        assertThrows(IllegalArgumentException.class, () -> Json.parse(null));
    }

    @Test
    void roundTripsAConfigLikeDocument() throws Exception {
        String config = "{ \"format\": \"jrnn.seq2seq.v1\", \"src_vocab_size\": 40, \"pad_id\": 0,\n"
                + "  \"encoder\": {\"cell\": \"lstm\", \"hidden_size\": 64, \"bidirectional\": true},\n"
                + "  \"src_tokens\": [\"<pad>\", \"<s>\", \"</s>\", \"a\"], \"dropout\": 0.25 }";
        Map<?, ?> m = (Map<?, ?>) Json.parse(config);
        assertEquals("jrnn.seq2seq.v1", m.get("format"));
        assertEquals(40L, m.get("src_vocab_size"));
        assertEquals(Map.of("cell", "lstm", "hidden_size", 64L, "bidirectional", true), m.get("encoder"));
        assertEquals(Arrays.asList("<pad>", "<s>", "</s>", "a"), m.get("src_tokens"));
        assertEquals(0.25, m.get("dropout"));
    }
}

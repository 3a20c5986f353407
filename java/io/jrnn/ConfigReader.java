package io.jrnn;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Typed access to a parsed {@code jrnn.config} JSON object with messages that say where, what was expected and
 * what was found ({@link IOException}: the config belongs to a file). Shared by {@link Seq2SeqConfig} and
 * {@link ModelConfig}. Not thread-safe; one reader per parse.
 */
final class ConfigReader {
    final String where;

    ConfigReader(String where) {
        this.where = where;
    }

    void fail(String key, String expected, String found) throws IOException {
        throw new IOException(where + ": " + key + " must be " + expected + ", got " + found);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> object(Object o, String key) throws IOException {
        if (!(o instanceof Map)) fail(key.isEmpty() ? "the config" : key, "a JSON object", describe(o));
        return (Map<String, Object>) o;
    }

    Object need(Map<String, Object> m, String key, String name) throws IOException {
        if (!m.containsKey(name)) throw new IOException(where + ": missing " + key);
        return m.get(name);
    }

    String string(Map<String, Object> m, String key) throws IOException {
        Object o = need(m, key, key);
        if (!(o instanceof String)) fail(key, "a string", describe(o));
        return (String) o;
    }

    int integer(Map<String, Object> m, String key, int min, int max) throws IOException {
        return integer(m, key, key, min, max);
    }

    int integer(Map<String, Object> m, String key, String name, int min, int max) throws IOException {
        Object o = need(m, key, name);
        if (!(o instanceof Long) || (Long) o < min || (Long) o > max) {
            fail(key, "an integer in [" + min + ", " + max + "]", describe(o));
        }
        return (int) (long) (Long) o;
    }

    boolean bool(Map<String, Object> m, String key, String name, boolean dflt) throws IOException {
        if (!m.containsKey(name)) return dflt;
        Object o = m.get(name);
        if (!(o instanceof Boolean)) fail(key, "true or false", describe(o));
        return (Boolean) o;
    }

    String choice(Map<String, Object> m, String key, String name, Set<String> allowed) throws IOException {
        Object o = need(m, key, name);
        if (!(o instanceof String) || !allowed.contains(o)) {
            List<String> sorted = new ArrayList<>(allowed);
            Collections.sort(sorted);
            fail(key, "one of " + sorted, describe(o));
        }
        return (String) o;
    }

    List<String> tokens(Map<String, Object> m, String key, int size) throws IOException {
        if (!m.containsKey(key) || m.get(key) == null) return null;
        Object o = m.get(key);
        if (!(o instanceof List)) fail(key, "a list of strings", describe(o));
        List<?> l = (List<?>) o;
        if (l.size() != size) {
            fail(key, "a list of " + size + " tokens (the vocabulary size)", l.size() + " tokens");
        }
        List<String> out = new ArrayList<>(size);
        for (int i = 0; i < l.size(); i++) {
            if (!(l.get(i) instanceof String)) fail(key + "[" + i + "]", "a string", describe(l.get(i)));
            out.add((String) l.get(i));
        }
        return Collections.unmodifiableList(out);
    }

    static String describe(Object o) {
        if (o == null) return "null";
        if (o instanceof String) return "\"" + o + "\"";
        if (o instanceof Map) return "an object";
        if (o instanceof List) return "a list";
        return o.toString();
    }

    /** Rejects keys of {@code m} outside {@code allowed} (a misspelt option must not be silently ignored). */
    void onlyKeys(Map<String, Object> m, String key, Set<String> allowed) throws IOException {
        for (String k : m.keySet()) {
            if (!allowed.contains(k)) {
                List<String> sorted = new ArrayList<>(allowed);
                Collections.sort(sorted);
                throw new IOException(where + ": unknown key \"" + k + "\" in " + (key.isEmpty() ? "the config" : key)
                        + " (known: " + sorted + ")");
            }
        }
    }
}

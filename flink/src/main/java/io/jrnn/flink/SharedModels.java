package io.jrnn.flink;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import io.jrnn.Precision;
import io.jrnn.SequenceModel;

/**
 * One loaded {@link SequenceModel} per file and precision per JVM (a Flink TaskManager), shared by every parallel
 * instance of the scoring operator running there (its slots) and freed when the last one lets go. A model is
 * immutable and thread-safe once loaded; each operator instance steps it through its own
 * {@link io.jrnn.RowStepper}.
 *
 * <p>Thread safety: thread-safe (one lock around the table; loading happens under it, once per file).
 */
final class SharedModels {
    private SharedModels() {}

    private static final class Entry {
        final SequenceModel model;
        int users;

        Entry(SequenceModel model) {
            this.model = model;
        }
    }

    private static final Map<String, Entry> LOADED = new HashMap<>();

    /** The shared model of this file, loaded on the first call; pair every call with one {@link #release}. */
    static synchronized SequenceModel acquire(Path file, Precision precision) throws IOException {
        String id = file.toAbsolutePath().normalize() + "|" + precision;
        Entry e = LOADED.get(id);
        if (e == null) {
            e = new Entry(SequenceModel.load(file, precision));
            LOADED.put(id, e);
        }
        e.users++;
        return e.model;
    }

    /** Lets go of a model from {@link #acquire}; the last user closes it. */
    static synchronized void release(SequenceModel model) {
        var it = LOADED.entrySet().iterator();
        while (it.hasNext()) {
            Entry e = it.next().getValue();
            if (e.model == model) {
                if (--e.users == 0) {
                    it.remove();
                    model.close();
                }
                return;
            }
        }
    }

    /** How many distinct models are loaded in this JVM now (for tests). */
    static synchronized int loaded() {
        return LOADED.size();
    }
}

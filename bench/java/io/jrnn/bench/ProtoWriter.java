package io.jrnn.bench;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The few protobuf wire-format encodings an ONNX model needs: varint (wire type 0) for ints and enums,
 * length-delimited (wire type 2) for strings, bytes, packed repeated ints and nested messages. Fields are written in
 * the order called; a parser accepts any order.
 */
final class ProtoWriter {
    private static final int VARINT = 0, LENGTH_DELIMITED = 2;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** An int32/int64/enum field. Negative values take ten bytes, as protobuf encodes them. */
    ProtoWriter varint(int field, long value) {
        tag(field, VARINT);
        rawVarint(value);
        return this;
    }

    ProtoWriter string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    ProtoWriter bytes(int field, byte[] value) {
        tag(field, LENGTH_DELIMITED);
        rawVarint(value.length);
        out.writeBytes(value);
        return this;
    }

    ProtoWriter message(int field, ProtoWriter message) {
        return bytes(field, message.toByteArray());
    }

    /** A packed repeated int64 field (proto3's default encoding for repeated scalars). */
    ProtoWriter packedVarints(int field, long... values) {
        ProtoWriter body = new ProtoWriter();
        for (long v : values) body.rawVarint(v);
        return bytes(field, body.toByteArray());
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }

    private void tag(int field, int wireType) {
        rawVarint(((long) field << 3) | wireType);
    }

    private void rawVarint(long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}

package io.jrnn.internal.onnx;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import io.jrnn.internal.onnx.OnnxIr.AttributeProto;
import io.jrnn.internal.onnx.OnnxIr.AttributeProto.AttributeType;
import io.jrnn.internal.onnx.OnnxIr.NodeProto;

/**
 * A node's attributes by name, read with their ONNX type checked ({@link IOException} naming the node otherwise).
 *
 * <p>Thread safety: immutable after construction.
 */
final class Attrs {
    private final String node;
    private final Map<String, AttributeProto> map = new HashMap<>();

    Attrs(NodeProto n, String node) throws IOException {
        this.node = node;
        for (AttributeProto a : n.getAttributeList()) {
            if (a.hasRefAttrName()) throw new IOException(node + ": attribute " + a.getName() + " refers to a function "
                    + "attribute (functions are not supported)");
            if (map.put(a.getName(), a) != null) throw new IOException(node + " has attribute " + a.getName() + " twice");
        }
    }

    boolean has(String name) {
        return map.containsKey(name);
    }

    java.util.Set<String> names() {
        return map.keySet();
    }

    private AttributeProto get(String name, AttributeType type) throws IOException {
        AttributeProto a = map.get(name);
        if (a == null) return null;
        // old exporters may leave the type unset; trust the field then
        if (a.hasType() && a.getType() != type) {
            throw new IOException(node + ": attribute " + name + " must be " + type + ", got " + a.getType());
        }
        return a;
    }

    long i(String name, long dflt) throws IOException {
        AttributeProto a = get(name, AttributeType.INT);
        return a == null ? dflt : a.getI();
    }

    float f(String name, float dflt) throws IOException {
        AttributeProto a = get(name, AttributeType.FLOAT);
        return a == null ? dflt : a.getF();
    }

    String s(String name, String dflt) throws IOException {
        AttributeProto a = get(name, AttributeType.STRING);
        return a == null ? dflt : a.getS().toString(StandardCharsets.UTF_8);
    }

    long[] ints(String name) throws IOException {
        AttributeProto a = get(name, AttributeType.INTS);
        if (a == null) return null;
        long[] v = new long[a.getIntsCount()];
        for (int k = 0; k < v.length; k++) v[k] = a.getInts(k);
        return v;
    }

    float[] floats(String name) throws IOException {
        AttributeProto a = get(name, AttributeType.FLOATS);
        if (a == null) return null;
        float[] v = new float[a.getFloatsCount()];
        for (int k = 0; k < v.length; k++) v[k] = a.getFloats(k);
        return v;
    }

    String[] strings(String name) throws IOException {
        AttributeProto a = get(name, AttributeType.STRINGS);
        if (a == null) return null;
        String[] v = new String[a.getStringsCount()];
        for (int k = 0; k < v.length; k++) v[k] = a.getStrings(k).toString(StandardCharsets.UTF_8);
        return v;
    }

    OnnxIr.TensorProto tensor(String name) throws IOException {
        AttributeProto a = get(name, AttributeType.TENSOR);
        return a == null ? null : a.getT();
    }
}

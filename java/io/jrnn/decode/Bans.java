package io.jrnn.decode;

final class Bans {
    private Bans() {}

    static boolean[] mask(int V, int[] banned) {
        boolean[] ban = new boolean[V];
        if (banned != null) {
            for (int b : banned) {
                if (b >= 0 && b < V) ban[b] = true;
            }
        }
        return ban;
    }
}

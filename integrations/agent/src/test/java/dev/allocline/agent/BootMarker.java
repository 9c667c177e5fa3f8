package dev.allocline.agent;

/**
 * Nothing: {@link JdkInternalsIT} puts this class alone on the bootstrap class path (-Xbootclasspath/a) of its
 * child JVMs, where it stands for the bootstrap loader's unnamed module, whose module its probe asks about.
 */
final class BootMarker {

    private BootMarker() {
    }
}

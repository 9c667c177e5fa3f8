package dev.allocline.profile;

/**
 * Told what became of every overrun's profile: stored, failed, or skipped. A sink that also
 * implements this interface ({@code MicrometerSink}, the test support's budgets) is told
 * automatically. Threading: a skip is reported on the request thread (keep it to a counter increment),
 * every other result on the library's profile thread; must not throw (a throw is contained and logged).
 */
@FunctionalInterface
public interface ProfileListener {

    /** One overrun's outcome. */
    void onProfile(ProfileReport report);
}

"""The paired statistics of the HTTP runs' reports (http-overhead-report.py, quarkus-overhead-report.py): a median
with its distribution-free 95% interval, and a verdict against a target that only the whole interval can give."""
import math
import statistics


def spread(values):
    return "median %.3f, range %.3f-%.3f" % (statistics.median(values), min(values), max(values))


def median_interval(values):
    """A distribution-free interval of at least 95% for the median: the k-th smallest and k-th largest value, k the
    largest with P(Binomial(n, 1/2) < k) <= 2.5% (as CpuPerRequest.medianInterval); the whole range below 6 values."""
    s = sorted(values)
    n = len(s)
    # in integers: P(X <= j) > 2.5% exactly when 40 * sum(comb(n, i), i <= j) > 2^n (2.0 ** n overflows past n = 1023)
    k, cumulative = 0, 0
    for j in range(n // 2):
        cumulative += math.comb(n, j)
        if 40 * cumulative > 2 ** n:
            break
        k = j + 1
    return (s[0], s[-1]) if k == 0 else (s[k - 1], s[n - k])


def verdict(values, target):
    """met or NOT met only when the median's whole 95% interval is on one side of the target, as the JMH report's
    verdicts; INCONCLUSIVE otherwise (the rounds then cannot tell, whatever their median says)."""
    low, high = median_interval(values)
    outcome = "met" if low >= target else "NOT met" if high < target else "INCONCLUSIVE"
    return "target: paired median >= %.2f: %s (median %.3f, 95%% interval of the median %.3f-%.3f)" % (
        target, outcome, statistics.median(values), low, high)

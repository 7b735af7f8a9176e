package lambdata.runtime;

/** The handler cannot be loaded; carries the report the Runtime API's init/error gets. */
final class LoadError extends Exception {
    final transient ErrorReport report;

    LoadError(ErrorReport report) {
        super((String) report.shape().get("errorMessage"));
        this.report = report;
    }
}

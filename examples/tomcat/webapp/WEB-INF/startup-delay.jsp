<%@ page session="false" contentType="text/plain; charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- Loaded while the webapp starts (load-on-startup in web.xml): with STARTUP_DELAY_MS set, the webapp takes
     that long to deploy, like a real application that warms caches or migrates a schema. Tomcat's AJP port is
     bound meanwhile, so it shows why readiness must be a real request, not a port check. --%>
<%!
  public void jspInit() {
    String ms = System.getenv("STARTUP_DELAY_MS");
    if (ms == null || ms.isEmpty()) {
      return;
    }
    try {
      Thread.sleep(Long.parseLong(ms));
    } catch (NumberFormatException e) {
      getServletContext().log("STARTUP_DELAY_MS=" + ms + " is not a number of milliseconds; no delay");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
%>started

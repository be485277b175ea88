<%@ page session="false" contentType="application/octet-stream" buffer="8kb" trimDirectiveWhitespaces="true" %>
<%-- big.jsp?bytes=N&flush=K writes exactly N bytes, repeating the 64-byte line below, so a client can build the
     expected body itself. With flush=K the page flushes after every K bytes, which makes Tomcat send AJP flush
     packets (empty body chunks) between the data. --%>
<%
  String bytesParam = request.getParameter("bytes");
  long total = (bytesParam == null) ? 100000 : Long.parseLong(bytesParam);
  String flushParam = request.getParameter("flush");
  long flushEvery = (flushParam == null) ? 0 : Long.parseLong(flushParam);
  char[] line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_\n".toCharArray();
  long written = 0;
  long sinceFlush = 0;
  while (written < total) {
    int n = (int) Math.min(line.length, total - written);
    out.write(line, 0, n);
    written += n;
    sinceFlush += n;
    if (flushEvery > 0 && sinceFlush >= flushEvery) {
      out.flush();
      sinceFlush = 0;
    }
  }
%>
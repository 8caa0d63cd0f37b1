window.fromServer = true;

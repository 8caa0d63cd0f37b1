function helperGreeting(who) {
  return 'hello from ' + who;
}

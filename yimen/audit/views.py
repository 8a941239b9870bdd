from django.http import HttpResponse


def events(request):
    return HttpResponse("todo")

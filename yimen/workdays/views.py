from django.http import HttpResponse


def year(request):
    return HttpResponse("todo")
